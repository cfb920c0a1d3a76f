/*
 * mock_api_account_sg.c - swerve-mock's SendGrid account endpoints:
 *
 *   GET /v3/user/credits   {"remain", "total", "overage", "used",
 *                           "last_reset", "next_reset", "reset_frequency"}
 *   GET /v3/user/account   {"type", "reputation"}
 *
 * from the state PUT /account/api set for "sendgrid" ("credits_total",
 * "credits_remain", "reset_frequency", "type", "reputation"); by default
 * 100000 monthly credits less what the mock accepted, a paid account at
 * reputation 99. Served through the SendGrid provider (its key check and
 * fault modes). Loop thread only.
 */
#include <string.h>

#include "mock/mock_api_int.h"

/* sg_num - the number k set for sendgrid, else dflt. */
static double
sg_num(const struct mock_api_req *r, const char *k, double dflt)
{
	json_t *v =
	    json_object_get(mock_api_account_get(r->api, "sendgrid"), k);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

void
mock_api_account_sg_credits(struct mock_api_req *r)
{
	double total = sg_num(r, "credits_total", 100000);
	double remain =
	    sg_num(r, "credits_remain", total - (double)mock_api_accepted(r));
	const char *freq = mock_api_account_str(r->api, "sendgrid",
	                                        "reset_frequency", "monthly");

	if (remain < 0)
		remain = 0;
	mock_api_success(r, 200,
	                 json_pack("{s:I,s:I,s:i,s:I,s:s,s:s,s:s}", "remain",
	                           (json_int_t)remain, "total",
	                           (json_int_t)total, "overage", 0, "used",
	                           (json_int_t)(total - remain), "last_reset",
	                           "2026-12-01", "next_reset", "2027-01-01",
	                           "reset_frequency", freq));
}

void
mock_api_account_sg_user(struct mock_api_req *r)
{
	mock_api_success(
	    r, 200,
	    json_pack("{s:s,s:f}", "type",
	              mock_api_account_str(r->api, "sendgrid", "type", "paid"),
	              "reputation", sg_num(r, "reputation", 99)));
}
