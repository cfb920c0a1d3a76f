/*
 * mock_sns.c - the SNS stand-in's HTTPS routes: the signing certificate
 * and the subscription calls (see mock_sns.h).
 *
 * Answers as SNS does: the certificate file as application/x-pem-file,
 * the Query API's calls as XML (ConfirmSubscriptionResponse,
 * UnsubscribeResponse, or an ErrorResponse).
 */
#include "mock/mock_sns.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* sns_send - reply code with body of type ctype. */
static void
sns_send(struct evhttp_request *req, int code, const char *ctype,
         const char *body)
{
	struct evbuffer *out = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", ctype);
	evbuffer_add(out, body, strlen(body));
	evhttp_send_reply(req, code, NULL, out);
	evbuffer_free(out);
}

/* sns_error - an SNS ErrorResponse. */
static void
sns_error(struct evhttp_request *req, int code, const char *ecode,
          const char *message)
{
	char body[512];

	snprintf(body, sizeof(body),
	         "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/"
	         "2010-03-31/\"><Error><Type>Sender</Type><Code>%s</Code>"
	         "<Message>%s</Message></Error><RequestId>mock</RequestId>"
	         "</ErrorResponse>",
	         ecode, message);
	sns_send(req, code, "text/xml", body);
}

/* sns_action - GET /?Action=...: the subscription calls. */
static void
sns_action(struct evhttp_request *req, struct mock_fb *fb)
{
	char *action = mock_http_query(req, "Action");
	char *topic = mock_http_query(req, "TopicArn");
	char *token = mock_http_query(req, "Token");
	char *sub = mock_http_query(req, "SubscriptionArn");
	char body[1024], *colon;

	if (action != NULL && strcmp(action, "ConfirmSubscription") == 0) {
		if (topic == NULL || token == NULL ||
		    mock_fb_sns_confirm(fb, topic, token) < 0)
			sns_error(req, 404, "NotFound",
			          "No such topic or token");
		else {
			snprintf(
			    body, sizeof(body),
			    "<ConfirmSubscriptionResponse "
			    "xmlns=\"http://sns.amazonaws.com/doc/"
			    "2010-03-31/\"><ConfirmSubscriptionResult>"
			    "<SubscriptionArn>%.300s:mock-subscription"
			    "</SubscriptionArn></ConfirmSubscriptionResult>"
			    "<ResponseMetadata><RequestId>mock</RequestId>"
			    "</ResponseMetadata>"
			    "</ConfirmSubscriptionResponse>",
			    topic);
			sns_send(req, 200, "text/xml", body);
		}
	} else if (action != NULL && strcmp(action, "Unsubscribe") == 0 &&
	           sub != NULL) {
		colon = strrchr(sub, ':');
		if (colon != NULL)
			*colon = '\0';
		if (mock_fb_sns_unsubscribe(fb, sub) < 0)
			sns_error(req, 404, "NotFound", "No such subscription");
		else
			sns_send(req, 200, "text/xml",
			         "<UnsubscribeResponse xmlns=\"http://"
			         "sns.amazonaws.com/doc/2010-03-31/\">"
			         "<ResponseMetadata><RequestId>mock"
			         "</RequestId></ResponseMetadata>"
			         "</UnsubscribeResponse>");
	} else
		sns_error(req, 400, "InvalidAction",
		          "Action: ConfirmSubscription or Unsubscribe");
	free(action);
	free(topic);
	free(token);
	free(sub);
}

/* sns_route - every request to the stand-in. */
static void
sns_route(struct evhttp_request *req, const char *rest, void *arg)
{
	struct mock_fb *fb = arg;
	char path[512];
	const char *pem;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		sns_error(req, 405, "MethodNotAllowed", "GET only");
		return;
	}
	snprintf(path, sizeof(path), "/%s", rest);
	if (strcmp(path, "/") == 0) {
		sns_action(req, fb);
		return;
	}
	pem = mock_fb_sns_cert(fb, path);
	if (pem == NULL) {
		sns_error(req, 404, "NotFound", "No such certificate");
		return;
	}
	log_info("mock: sns: served %s", path);
	sns_send(req, 200, "application/x-pem-file", pem);
}

void
mock_sns_register(struct mock_http *h, struct mock_fb *fb)
{
	mock_http_route_add(h, "/", true, sns_route, fb);
}
