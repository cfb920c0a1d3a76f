/*
 * dash.h - the operator dashboard on the admin plane (contract).
 *
 * Served by swerved itself under /dashboard on the admin listener
 * (listen.admin, or listen.http when there is none): HTML pages, our own
 * stylesheet and script (dash_assets.h), charts as inline SVG. Nothing
 * is fetched from anywhere else.
 *
 * Signing in: GET /dashboard/login is a form; POST /dashboard/login with
 * the field key= an admin key of role admin signs in: the key is checked
 * like a bearer key (api_auth.h) and forgotten, and the browser gets a
 * session cookie (dash_session.h: a random id; HttpOnly; SameSite=Strict;
 * Path=/; Max-Age dashboard.session_lifetime; Secure when the request
 * came over HTTPS). A wrong key is 401 with the form again; failures slow
 * the next attempts from the same address (auth_throttle.h). POST
 * /dashboard/logout ends the session.
 *
 * What a session may do:
 *   GET /dashboard         the page (providers, streams, charts of the
 *                          last hour, open incidents); without a live
 *                          session a 303 to the sign-in page
 *   GET /dashboard/live    the page's live part only, for its script;
 *                          needs X-CSRF-Token too
 *   POST /dashboard/providers/NAME/pause|drain|resume
 *   POST /dashboard/incidents/ID/notes   (text=, public=1)
 *   POST /dashboard/logout
 * Every POST needs the session's CSRF token, in the form field csrf= or
 * the X-CSRF-Token header, and, when the browser sends Origin, our own
 * origin: without them 403 and nothing changes. An action answers 303
 * back to /dashboard, whose page says what was done.
 *
 * The JSON API (/v1/...) never takes the cookie alone: a request that
 * has no bearer key is let in as the session's admin key only when it
 * also carries the session's CSRF token in X-CSRF-Token
 * (dash_session_admin, called by the dispatcher in http_admin.c).
 *
 * The live figures: a listener on the event bus counts attempts per
 * provider and deliveries per stream, and a 10 s timer closes a sample
 * (dash_ring.h) with each stream's queue depth. Loop thread only.
 */
#ifndef SWERVE_DASH_DASH_H
#define SWERVE_DASH_DASH_H

struct config;
struct config_admin_key;
struct deliver;
struct event_base;
struct evhttp_request;
struct http_admin;
struct incidents;
struct stats;
struct dash;

/*
 * dash_new - the dashboard on h's admin plane: registers its route and
 * the session check on h, subscribes to the event bus and starts its
 * timer on base. cfg, h, d and st are borrowed and must outlive it.
 * NULL when dashboard.enabled is false (nothing is registered: /dashboard
 * is then 404) or the event bus is full.
 */
struct dash *dash_new(struct event_base *base, struct http_admin *h,
                      const struct config *cfg, struct deliver *d,
                      struct stats *st);

/* dash_set_incidents - show in's open incidents and take notes on them
 * (borrowed; must outlive ds; NULL: none shown). */
void dash_set_incidents(struct dash *ds, struct incidents *in);

/*
 * dash_session_admin - the admin key of req's dashboard session when req
 * carries both the session cookie and, in X-CSRF-Token, that session's
 * token; else NULL with *why saying what was missing (static). For the
 * JSON API's dispatcher: the cookie alone authenticates nothing there.
 */
const struct config_admin_key *dash_session_admin(struct evhttp_request *req,
                                                  void *arg, const char **why);

/* dash_free - unsubscribe, stop the timer, end every session. NULL is a
 * no-op. */
void dash_free(struct dash *ds);

#endif
