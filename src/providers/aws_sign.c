/*
 * aws_sign.c - SigV4 headers for a provider's AWS calls (aws_sign.h).
 */
#include "providers/aws_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "providers/sigv4.h"

#define AWS_SIGNED_MAX 5

const char *
aws_region(const struct config_provider *cfg)
{
	return cfg->region && *cfg->region ? cfg->region : "us-east-1";
}

int
aws_sign(const struct config_provider *cfg, struct http_out *out,
         const char *base, const char *service, const char *path,
         const char *content_type, const char *target, time_t now)
{
	char amzdate[SIGV4_AMZDATE_LEN + 1];
	struct sigv4_header sh[AWS_SIGNED_MAX];
	struct sigv4_request sr;
	struct sigv4_cred cred = {
	    .akid = cfg->access_key_id,
	    .secret = cfg->secret_access_key,
	    .session_token = cfg->session_token,
	    .region = aws_region(cfg),
	    .service = service,
	};
	struct buf auth, full;
	char *host, *slash;
	const char *hstart, *prefix;
	size_t n = 0;
	int rc = -1;

	if (cred.akid == NULL || cred.secret == NULL)
		return -1;
	hstart = strstr(base, "://");
	hstart = hstart ? hstart + 3 : base;
	host = xstrdup(hstart);
	slash = strchr(host, '/');
	if (slash)
		*slash = '\0';
	prefix = strchr(hstart, '/');
	buf_init(&full);
	buf_printf(&full, "%s%s", prefix ? prefix : "", path);
	buf_init(&auth);
	sigv4_amzdate_format(amzdate, now);
	if (content_type != NULL) {
		http_out_header_add(out, "Content-Type", "%s", content_type);
		sh[n++] = (struct sigv4_header){"content-type", content_type};
	}
	http_out_header_add(out, "Host", "%s", host);
	sh[n++] = (struct sigv4_header){"host", host};
	http_out_header_add(out, "X-Amz-Date", "%s", amzdate);
	sh[n++] = (struct sigv4_header){"x-amz-date", amzdate};
	if (target != NULL) {
		http_out_header_add(out, "X-Amz-Target", "%s", target);
		sh[n++] = (struct sigv4_header){"x-amz-target", target};
	}
	if (cred.session_token && *cred.session_token) {
		http_out_header_add(out, "X-Amz-Security-Token", "%s",
		                    cred.session_token);
		sh[n++] = (struct sigv4_header){"x-amz-security-token",
		                                cred.session_token};
	} else {
		cred.session_token = NULL;
	}
	sr = (struct sigv4_request){
	    .method = out->method,
	    .path = buf_cstr(&full),
	    .headers = sh,
	    .n_headers = n,
	    .body = out->body.p,
	    .body_len = out->body.len,
	};
	if (sigv4_sign(&auth, NULL, &sr, &cred, amzdate) != 0)
		goto fail;
	http_out_header_add(out, "Authorization", "%s", buf_cstr(&auth));
	free(out->url);
	if (asprintf(&out->url, "%s%s", base, path) < 0) {
		out->url = NULL;
		goto fail;
	}
	rc = 0;
fail:
	buf_fini(&auth);
	buf_fini(&full);
	free(host);
	return rc;
}
