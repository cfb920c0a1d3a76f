/*
 * swerve-mock.c - a fake upstream provider: parse arguments, build, run.
 *
 * Everything the mock does lives in src/mock/; this file only reads the
 * command line, builds the shared state, the SMTP server and the HTTP
 * server (control API and the fake provider APIs of mock_api.h), and runs
 * the loop until SIGTERM or SIGINT, after which it frees everything and
 * exits 0.
 */
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "mock/mock.h"
#include "mock/mock_api.h"
#include "mock/mock_ctl.h"
#include "mock/mock_fb.h"
#include "mock/mock_http.h"
#include "mock/mock_smtp.h"
#include "mock/mock_sns.h"

static const char mock_usage[] =
    "usage: swerve-mock [--smtp HOST:PORT] [--http HOST:PORT] [options]\n"
    "  --smtp HOST:PORT     SMTP listener (port 0: any free port)\n"
    "  --http HOST:PORT     HTTP control API and fake provider APIs (SES v2,\n"
    "                       SendGrid, Mailgun, Postmark, Resend)\n"
    "  --mode MODE          starting mode: accept, tempfail, permfail,\n"
    "                       refuse, hang, drop, throttle, authfail,\n"
    "                       \"slow MS\" (or slow:MS), \"rcptfail SUBSTR\"\n"
    "  --tls-cert FILE      PEM certificate chain: offer STARTTLS\n"
    "  --tls-key FILE       PEM private key for --tls-cert\n"
    "  --auth USER:PASS     require SMTP AUTH with these credentials\n"
    "  --name NAME          name in greetings, logs and /stats (mock)\n"
    "  --max-store N        messages kept in memory (100000)\n"
    "  --max-size BYTES     SMTP SIZE limit (52428800)\n"
    "  --idle-timeout SEC   close idle SMTP sessions (300)\n"
    "  --api-mode MODE      starting mode of the provider APIs: follow (the\n"
    "                       SMTP mode, default), accept, throttle [S], 500,\n"
    "                       503, 401, 403, \"slow MS\", hang, "
    "hang_after_body,\n"
    "                       malformed_json, \"account [CODE [MSG]]\",\n"
    "                       \"reject [CODE [MSG]]\" (PUT /mode/api changes "
    "it)\n"
    "  --api-key [API=]KEY  accept KEY for every key API, or for API "
    "(sendgrid,\n"
    "                       mailgun, postmark, resend); repeatable. Defaults:\n"
    "                       sendgrid SG.mock-sendgrid-key, mailgun\n"
    "                       key-mock-mailgun, postmark\n"
    "                       mock-postmark-server-token, resend\n"
    "                       re_mock_resend_key\n"
    "  --aws-key ID:SECRET  SES SigV4 credentials; repeatable (default\n"
    "                       "
    "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY)\n"
    "  --aws-max-skew SEC   SigV4 clock skew allowed (300)\n"
    "  --mailgun-domain D   the only Mailgun domain (default: any)\n"
    "  --feedback FILE      emit delivery feedback: the JSON of PUT "
    "/feedback\n"
    "                       (targets per API, rules; see docs/swerve-mock.md)\n"
    "  --sns HOST:PORT      HTTPS listener playing sns.<region>.amazonaws.com\n"
    "                       for SES feedback: the signing certificate and\n"
    "                       ConfirmSubscription (needs --sns-tls-cert/-key)\n"
    "  --sns-tls-cert FILE  PEM certificate chain of the --sns listener\n"
    "  --sns-tls-key FILE   PEM private key for --sns-tls-cert\n"
    "  --log-json           log lines as JSON\n"
    "  -v, --verbose        log every SMTP command and reply\n"
    "  -q, --quiet          log warnings only (not every message)\n";

/* mock_main_num - a positive decimal option value, or fatal. */
static unsigned long long
mock_main_num(const char *opt, const char *v)
{
	char *end;
	unsigned long long n;

	n = strtoull(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end != '\0' || n == 0)
		log_fatal("swerve-mock: %s needs a positive number, not \"%s\"",
		          opt, v);
	return n;
}

/* mock_main_signal - SIGTERM/SIGINT: leave the loop. */
static void
mock_main_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("swerve-mock: signal %d, exiting", (int)sig);
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"smtp", required_argument, NULL, 's'},
	    {"http", required_argument, NULL, 'H'},
	    {"mode", required_argument, NULL, 'm'},
	    {"tls-cert", required_argument, NULL, 'c'},
	    {"tls-key", required_argument, NULL, 'k'},
	    {"auth", required_argument, NULL, 'a'},
	    {"name", required_argument, NULL, 'n'},
	    {"max-store", required_argument, NULL, 'S'},
	    {"max-size", required_argument, NULL, 'z'},
	    {"idle-timeout", required_argument, NULL, 't'},
	    {"api-mode", required_argument, NULL, 'A'},
	    {"api-key", required_argument, NULL, 'K'},
	    {"aws-key", required_argument, NULL, 'W'},
	    {"aws-max-skew", required_argument, NULL, 'X'},
	    {"mailgun-domain", required_argument, NULL, 'D'},
	    {"feedback", required_argument, NULL, 'F'},
	    {"sns", required_argument, NULL, 'N'},
	    {"sns-tls-cert", required_argument, NULL, 'C'},
	    {"sns-tls-key", required_argument, NULL, 'Y'},
	    {"log-json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct mock_smtp_opts so = {0};
	const char *fb_file = NULL, *sns_addr = NULL, *sns_cert = NULL,
	           *sns_key = NULL;
	const char *http_addr = NULL, *mode_text = NULL, *name = "mock";
	unsigned long long max_store = 100000;
	enum log_level level = LOG_LEVEL_INFO;
	enum log_format format = LOG_FORMAT_TEXT;
	struct mock_mode_set mode;
	const char *why = "";
	struct event_base *base;
	struct event *sigterm, *sigint;
	struct mock *m;
	struct mock_http *http = NULL, *sns = NULL;
	struct mock_smtp *smtp = NULL;
	struct mock_api_opts ao = {0};
	struct mock_api_mode api_mode;
	struct mock_api *api = NULL;
	char *auth = NULL, *colon;
	unsigned long long n;
	int c;

	while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			so.listen = optarg;
			break;
		case 'H':
			http_addr = optarg;
			break;
		case 'F':
			fb_file = optarg;
			break;
		case 'N':
			sns_addr = optarg;
			break;
		case 'C':
			sns_cert = optarg;
			break;
		case 'Y':
			sns_key = optarg;
			break;
		case 'm':
			mode_text = optarg;
			break;
		case 'c':
			so.tls_cert = optarg;
			break;
		case 'k':
			so.tls_key = optarg;
			break;
		case 'a':
			auth = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'S':
			max_store = mock_main_num("--max-store", optarg);
			break;
		case 'z':
			so.max_size = mock_main_num("--max-size", optarg);
			break;
		case 't':
			so.idle_timeout_s =
			    (unsigned)mock_main_num("--idle-timeout", optarg);
			break;
		case 'A':
			if (mock_api_mode_parse(optarg, strlen(optarg),
			                        &api_mode, &why) < 0)
				log_fatal("swerve-mock: --api-mode \"%s\": %s",
				          optarg, why);
			ao.mode = &api_mode;
			break;
		case 'K':
			if (mock_api_opts_key(&ao, optarg, &why) < 0)
				log_fatal("swerve-mock: --api-key: %s", why);
			break;
		case 'W':
			if (mock_api_opts_aws(&ao, optarg, &why) < 0)
				log_fatal("swerve-mock: --aws-key: %s", why);
			break;
		case 'X':
			n = mock_main_num("--aws-max-skew", optarg);
			ao.aws_max_skew_s =
			    n > 1000000000 ? 1000000000 : (int)n;
			break;
		case 'D':
			ao.mailgun_domain = optarg;
			break;
		case 'j':
			format = LOG_FORMAT_JSON;
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'q':
			level = LOG_LEVEL_WARN;
			break;
		case 'h':
			fputs(mock_usage, stdout);
			return 0;
		default:
			fputs(mock_usage, stderr);
			return 2;
		}
	}
	log_setup(level, format);
	if (optind != argc || (so.listen == NULL && http_addr == NULL)) {
		fputs(mock_usage, stderr);
		return 2;
	}
	mode.mode = MOCK_MODE_ACCEPT;
	if (mode_text != NULL &&
	    mock_mode_parse(mode_text, strlen(mode_text), &mode, &why) < 0)
		log_fatal("swerve-mock: --mode \"%s\": %s", mode_text, why);
	if (auth != NULL) {
		auth = xstrdup(auth);
		colon = strchr(auth, ':');
		if (colon == NULL || colon == auth)
			log_fatal("swerve-mock: --auth needs USER:PASS");
		*colon = '\0';
		so.auth_user = auth;
		so.auth_pass = colon + 1;
	}
	if (sns_addr != NULL && (sns_cert == NULL || sns_key == NULL))
		log_fatal("swerve-mock: --sns needs --sns-tls-cert and "
		          "--sns-tls-key");
	if (strlen(name) > MOCK_NAME_MAX || strpbrk(name, " \t\r\n") != NULL)
		log_fatal("swerve-mock: --name must be one word of at most %d "
		          "bytes",
		          MOCK_NAME_MAX);

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	if (base == NULL)
		log_fatal("swerve-mock: cannot create the event loop");
	m = mock_new(base, name, (size_t)max_store);
	if (mode_text != NULL)
		mock_mode_change(m, &mode);
	m->fb = mock_fb_new(m);
	if (sns_addr != NULL) {
		char host[64];

		sns = mock_http_new_tls(base, sns_addr, m->name, "sns",
		                        sns_cert, sns_key);
		if (sns == NULL)
			log_fatal("swerve-mock: cannot start the SNS listener");
		mock_sns_register(sns, m->fb);
		snprintf(host, sizeof(host), "localhost:%u",
		         mock_http_port(sns));
		mock_fb_sns_host(m->fb, host);
	}
	if (fb_file != NULL) {
		json_error_t je;
		json_t *cfg = json_load_file(fb_file, 0, &je);
		char fbwhy[256];

		if (cfg == NULL)
			log_fatal("swerve-mock: --feedback %s: %s", fb_file,
			          je.text);
		if (mock_fb_configure(m->fb, cfg, fbwhy, sizeof(fbwhy)) < 0)
			log_fatal("swerve-mock: --feedback %s: %s", fb_file,
			          fbwhy);
		json_decref(cfg);
	}
	if (http_addr != NULL) {
		http = mock_http_new(base, http_addr, m->name);
		if (http == NULL)
			log_fatal("swerve-mock: cannot start the HTTP server");
		mock_ctl_register(http, m);
		mock_fb_register(m->fb, http);
		api = mock_api_new(m, http, &ao);
	}
	if (so.listen != NULL) {
		smtp = mock_smtp_new(m, &so);
		if (smtp == NULL)
			log_fatal("swerve-mock: cannot start the SMTP server");
	}
	sigterm = evsignal_new(base, SIGTERM, mock_main_signal, base);
	sigint = evsignal_new(base, SIGINT, mock_main_signal, base);
	if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) < 0 ||
	    event_add(sigint, NULL) < 0)
		log_fatal("swerve-mock: cannot catch signals");

	event_base_dispatch(base);

	mock_smtp_free(smtp);
	mock_api_free(api);
	mock_http_free(http);
	mock_http_free(sns);
	mock_fb_free(m->fb);
	event_free(sigterm);
	event_free(sigint);
	mock_free(m);
	event_base_free(base);
	free(auth);
	return 0;
}
