/*
 * compat_ses_int.h - the rules the SES v1 and v2 decoders share
 * (compat_ses_field.c), private to compat_ses_v1.c and compat_ses_v2.c.
 *
 * Pure: no I/O, no logging. Each check fills *e naming the field it was
 * given and returns -1, or returns 0.
 */
#ifndef SWERVE_INGRESS_COMPAT_SES_INT_H
#define SWERVE_INGRESS_COMPAT_SES_INT_H

#include <stddef.h>

#include "ingress/compat.h"
#include "spool/msg_meta.h"

#define SES_WHY_ARN                                                            \
	"sending authorization is not done here; the credential's "            \
	"from_domains decide which senders it may use"

/*
 * compat_ses_field_tag - a message tag into mt, by SES's rules: name and
 * value only ASCII letters, digits, '_' and '-', at most 256 each, a
 * name at most once.
 */
int compat_ses_field_tag(struct msg_meta *mt, const char *name,
                         const char *value, const char *field,
                         struct api_error *e);

/*
 * compat_ses_field_cset - the configuration set name[0..n) into mt
 * (letters, digits, '_', '-', at most 64). A second, different name (the
 * parameter and a raw message's X-SES-CONFIGURATION-SET) is refused.
 */
int compat_ses_field_cset(struct msg_meta *mt, const char *name, size_t n,
                          const char *field, struct api_error *e);

/* compat_ses_field_charset - cs (NULL: none) is UTF-8 or US-ASCII. */
int compat_ses_field_charset(const char *cs, const char *field,
                             struct api_error *e);

/* compat_ses_field_refuse - "field is not supported ...: why". -1. */
int compat_ses_field_refuse(const char *field, const char *why,
                            struct api_error *e);

/*
 * compat_ses_field_raw - SES's control fields out of r's raw message:
 * X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS ("a=1, b=2") into mt,
 * X-SES-SOURCE-ARN, X-SES-FROM-ARN and X-SES-RETURN-PATH-ARN (they name
 * an AWS account; swerve does no sending authorization) dropped. Every
 * such field is taken out of r->data.
 */
int compat_ses_field_raw(struct compat_raw_req *r, struct msg_meta *mt,
                         struct api_error *e);

/* compat_ses_field_env_add - list[0..n)'s addresses to r's envelope. */
void compat_ses_field_env_add(struct compat_raw_req *r,
                              struct mime_build_addr *list, size_t n);

#endif
