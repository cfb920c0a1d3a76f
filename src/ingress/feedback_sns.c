/*
 * feedback_sns.c - Amazon SNS message verification (see feedback_sns.h).
 *
 * SNS signs a fixed list of the envelope's members with the key of a
 * certificate it names by URL. Everything an attacker controls is in the
 * message, the URL included, so the URL is held to one exact shape
 * (https, AWS's SNS host pattern, SNS's certificate file name) before
 * anything is fetched, the certificate must chain to a trust anchor, and
 * only then is the signature checked. No I/O here.
 */
#include "ingress/feedback_sns.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>

#include "core/base64.h"

/* The members of one message type that SNS signs, in its order. */
static const char *const sns_keys_notification[] = {
    "Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type", NULL,
};
static const char *const sns_keys_confirmation[] = {
    "Message", "MessageId", "SubscribeURL", "Timestamp",
    "Token",   "TopicArn",  "Type",         NULL,
};

/* sns_field - the string member key of o into *f; false when it is
 * present but not a string. An absent or null member leaves f empty. */
static bool
sns_field(const json_t *o, const char *key, struct feedback_sns_field *f)
{
	const json_t *v = json_object_get(o, key);

	f->p = NULL;
	f->len = 0;
	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v))
		return false;
	f->p = json_string_value(v);
	f->len = json_string_length(v);
	return true;
}

/* sns_field_of - m's field for the signed key name. */
static const struct feedback_sns_field *
sns_field_of(const struct feedback_sns_msg *m, const char *name)
{
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
	    {"Message", offsetof(struct feedback_sns_msg, message)},
	    {"MessageId", offsetof(struct feedback_sns_msg, message_id)},
	    {"Subject", offsetof(struct feedback_sns_msg, subject)},
	    {"SubscribeURL", offsetof(struct feedback_sns_msg, subscribe_url)},
	    {"Timestamp", offsetof(struct feedback_sns_msg, timestamp)},
	    {"Token", offsetof(struct feedback_sns_msg, token)},
	    {"TopicArn", offsetof(struct feedback_sns_msg, topic_arn)},
	    {"Type", offsetof(struct feedback_sns_msg, type_name)},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0)
			return (
			    const struct feedback_sns_field *)((const char *)m +
			                                       map[i].off);
	return NULL;
}

/* sns_keys - the signed keys of m's type. */
static const char *const *
sns_keys(const struct feedback_sns_msg *m)
{
	return m->type == FEEDBACK_SNS_NOTIFICATION ? sns_keys_notification
	                                            : sns_keys_confirmation;
}

int
feedback_sns_msg_parse(const char *body, size_t len, struct feedback_sns_msg *m,
                       char *err, size_t errlen)
{
	struct feedback_sns_field version;
	const char *const *k;
	json_error_t je;
	bool ok;

	memset(m, 0, sizeof(*m));
	m->json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(m->json)) {
		snprintf(err, errlen, "not an SNS message (JSON object): %s",
		         m->json == NULL ? je.text : "not an object");
		goto fail;
	}
	ok = sns_field(m->json, "Type", &m->type_name) &&
	     sns_field(m->json, "Message", &m->message) &&
	     sns_field(m->json, "MessageId", &m->message_id) &&
	     sns_field(m->json, "Subject", &m->subject) &&
	     sns_field(m->json, "Timestamp", &m->timestamp) &&
	     sns_field(m->json, "TopicArn", &m->topic_arn) &&
	     sns_field(m->json, "Token", &m->token) &&
	     sns_field(m->json, "SubscribeURL", &m->subscribe_url) &&
	     sns_field(m->json, "SigningCertURL", &m->signing_cert_url) &&
	     sns_field(m->json, "Signature", &m->signature) &&
	     sns_field(m->json, "SignatureVersion", &version);
	if (!ok) {
		snprintf(err, errlen, "a signed member is not a string");
		goto fail;
	}
	if (m->type_name.p == NULL) {
		snprintf(err, errlen, "no Type");
		goto fail;
	} else if (strcmp(m->type_name.p, "Notification") == 0)
		m->type = FEEDBACK_SNS_NOTIFICATION;
	else if (strcmp(m->type_name.p, "SubscriptionConfirmation") == 0)
		m->type = FEEDBACK_SNS_SUBSCRIBE;
	else if (strcmp(m->type_name.p, "UnsubscribeConfirmation") == 0)
		m->type = FEEDBACK_SNS_UNSUBSCRIBE;
	else {
		snprintf(err, errlen, "unknown Type");
		goto fail;
	}
	if (version.p != NULL && strcmp(version.p, "1") == 0)
		m->version = 1;
	else if (version.p != NULL && strcmp(version.p, "2") == 0)
		m->version = 2;
	else {
		snprintf(err, errlen, "SignatureVersion is not 1 or 2");
		goto fail;
	}
	for (k = sns_keys(m); *k != NULL; k++) {
		if (strcmp(*k, "Subject") == 0 ||
		    sns_field_of(m, *k)->p != NULL)
			continue;
		snprintf(err, errlen, "no %s", *k);
		goto fail;
	}
	if (m->signature.p == NULL || m->signing_cert_url.p == NULL) {
		snprintf(err, errlen, "no Signature or SigningCertURL");
		goto fail;
	}
	return 0;
fail:
	feedback_sns_msg_fini(m);
	return -1;
}

void
feedback_sns_msg_fini(struct feedback_sns_msg *m)
{
	json_decref(m->json);
	memset(m, 0, sizeof(*m));
}

void
feedback_sns_string_to_sign(const struct feedback_sns_msg *m, struct buf *out)
{
	const char *const *k;

	for (k = sns_keys(m); *k != NULL; k++) {
		const struct feedback_sns_field *f = sns_field_of(m, *k);
		if (f->p == NULL)
			continue;
		buf_addstr(out, *k);
		buf_addch(out, '\n');
		buf_add(out, f->p, f->len);
		buf_addch(out, '\n');
	}
}

/* sns_host_ok - is h[0..len) sns.<region>.amazonaws.com(.cn)? */
static bool
sns_host_ok(const char *h, size_t len)
{
	static const char com[] = ".amazonaws.com", cn[] = ".amazonaws.com.cn";
	size_t i, end;

	if (len > sizeof(cn) - 1 &&
	    memcmp(h + len - (sizeof(cn) - 1), cn, sizeof(cn) - 1) == 0)
		end = len - (sizeof(cn) - 1);
	else if (len > sizeof(com) - 1 &&
	         memcmp(h + len - (sizeof(com) - 1), com, sizeof(com) - 1) == 0)
		end = len - (sizeof(com) - 1);
	else
		return false;
	/* The region: one label of 3 to 32 [a-z0-9-], starting with a
	 * letter and not ending with '-'. */
	if (end < 4 + 3 || end > 4 + 32 || memcmp(h, "sns.", 4) != 0 ||
	    !(h[4] >= 'a' && h[4] <= 'z') || h[end - 1] == '-')
		return false;
	for (i = 4; i < end; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '-'))
			return false;
	return true;
}

/* sns_cert_path_ok - "/SimpleNotificationService-<1 to 128 hex>.pem". */
static bool
sns_cert_path_ok(const char *p, size_t len)
{
	static const char pre[] = "/SimpleNotificationService-";
	size_t i, hex_end;

	if (len < sizeof(pre) - 1 + 1 + 4 ||
	    memcmp(p, pre, sizeof(pre) - 1) != 0 ||
	    memcmp(p + len - 4, ".pem", 4) != 0)
		return false;
	hex_end = len - 4;
	if (hex_end - (sizeof(pre) - 1) > 128)
		return false;
	for (i = sizeof(pre) - 1; i < hex_end; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	return true;
}

/* sns_subscribe_path_ok - "/?...Action=ConfirmSubscription..." */
static bool
sns_subscribe_path_ok(const char *p, size_t len)
{
	static const char act[] = "Action=ConfirmSubscription";
	size_t i = 2;

	if (len < 2 || p[0] != '/' || p[1] != '?')
		return false;
	/* One parameter of the query must be exactly that. */
	while (i < len) {
		size_t j = i;
		while (j < len && p[j] != '&')
			j++;
		if (j - i == sizeof(act) - 1 && memcmp(p + i, act, j - i) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

bool
feedback_sns_url_check(const char *url, size_t len, const char *pin_host,
                       enum feedback_sns_url kind, char *err, size_t errlen)
{
	static const char scheme[] = "https://";
	const char *auth, *path;
	size_t i, alen, plen;

	for (i = 0; i < len; i++)
		if (url[i] <= ' ' || url[i] >= 0x7f || url[i] == '#' ||
		    url[i] == '\\') {
			snprintf(err, errlen, "a character not allowed in URL");
			return false;
		}
	if (len < sizeof(scheme) - 1 ||
	    memcmp(url, scheme, sizeof(scheme) - 1) != 0) {
		snprintf(err, errlen, "URL is not https");
		return false;
	}
	auth = url + sizeof(scheme) - 1;
	for (path = auth; path < url + len && *path != '/' && *path != '?';
	     path++)
		;
	alen = (size_t)(path - auth);
	plen = len - (size_t)(path - url);
	if (memchr(auth, '@', alen) != NULL ||
	    memchr(auth, '%', alen) != NULL) {
		snprintf(err, errlen,
		         "URL has userinfo or escapes in its host");
		return false;
	}
	if (pin_host != NULL ? strlen(pin_host) != alen ||
	                           strncasecmp(auth, pin_host, alen) != 0
	                     : !sns_host_ok(auth, alen)) {
		snprintf(err, errlen, "URL host is not an SNS host");
		return false;
	}
	if (kind == FEEDBACK_SNS_URL_CERT
	        ? !sns_cert_path_ok(path, plen)
	        : !sns_subscribe_path_ok(path, plen)) {
		snprintf(err, errlen, "URL path is not SNS's %s",
		         kind == FEEDBACK_SNS_URL_CERT ? "certificate file"
		                                       : "ConfirmSubscription");
		return false;
	}
	return true;
}

X509_STORE *
feedback_sns_store_new(const char *anchor_file, char *err, size_t errlen)
{
	X509_STORE *st = X509_STORE_new();
	int ok;

	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ok = anchor_file != NULL ? X509_STORE_load_file(st, anchor_file)
	                         : X509_STORE_set_default_paths(st);
	if (ok != 1) {
		snprintf(err, errlen, "cannot load the trust anchors%s%s",
		         anchor_file ? " from " : "",
		         anchor_file ? anchor_file : "");
		X509_STORE_free(st);
		ERR_clear_error();
		return NULL;
	}
	return st;
}

/* sns_not_after_ms - c's notAfter as ms since the epoch (0 if unknown). */
static int64_t
sns_not_after_ms(const X509 *c)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;
	int64_t ms = 0;

	if (epoch != NULL &&
	    ASN1_TIME_diff(&days, &secs, epoch, X509_get0_notAfter(c)) == 1)
		ms = ((int64_t)days * 86400 + secs) * 1000;
	ASN1_TIME_free(epoch);
	return ms;
}

int
feedback_sns_cert_check(const char *pem, size_t len, X509_STORE *store,
                        int64_t now_ms, EVP_PKEY **key, int64_t *not_after_ms,
                        char *err, size_t errlen)
{
	BIO *bio = NULL;
	X509 *leaf = NULL, *extra;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	EVP_PKEY *pk;
	int rc = -1;

	*key = NULL;
	if (len == 0 || len > FEEDBACK_SNS_CERT_MAX || chain == NULL ||
	    ctx == NULL) {
		snprintf(err, errlen, "certificate file empty or too large");
		goto done;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL ||
	    (leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "no PEM certificate");
		goto done;
	}
	while (sk_X509_num(chain) < 8 &&
	       (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(chain, extra) <= 0) {
			X509_free(extra);
			break;
		}
	ERR_clear_error();
	if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
		snprintf(err, errlen, "cannot set up verification");
		goto done;
	}
	X509_STORE_CTX_set_time(ctx, 0, (time_t)(now_ms / 1000));
	if (X509_verify_cert(ctx) != 1) {
		snprintf(err, errlen, "certificate not trusted: %s",
		         X509_verify_cert_error_string(
		             X509_STORE_CTX_get_error(ctx)));
		goto done;
	}
	pk = X509_get0_pubkey(leaf);
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(pk) < 2048) {
		snprintf(err, errlen, "certificate key is not RSA >= 2048");
		goto done;
	}
	EVP_PKEY_up_ref(pk);
	*key = pk;
	*not_after_ms = sns_not_after_ms(leaf);
	rc = 0;
done:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	BIO_free(bio);
	return rc;
}

int
feedback_sns_signature_check(const struct feedback_sns_msg *m, EVP_PKEY *key,
                             char *err, size_t errlen)
{
	unsigned char sig[1024];
	struct buf text;
	EVP_MD_CTX *md = NULL;
	ssize_t n;
	int rc = -1;

	buf_init(&text);
	n = base64_decode((struct str){m->signature.p, m->signature.len}, 0,
	                  sig, sizeof(sig));
	if (n <= 0) {
		snprintf(err, errlen, "Signature is not base64");
		goto done;
	}
	feedback_sns_string_to_sign(m, &text);
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestVerifyInit(md, NULL,
	                         m->version == 1 ? EVP_sha1() : EVP_sha256(),
	                         NULL, key) != 1 ||
	    EVP_DigestVerify(md, sig, (size_t)n, (const unsigned char *)text.p,
	                     text.len) != 1) {
		snprintf(err, errlen, "signature (version %d) does not verify",
		         m->version);
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	buf_fini(&text);
	return rc;
}
