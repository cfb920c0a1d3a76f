/*
 * tmpl_bench.c - what rendering a typical receipt template costs: about
 * 40 variables and one loop over 10 line items, in Handlebars (SendGrid's
 * style, with formatDate) and in Mustache, HTML-escaped. Prints the
 * microseconds per render (wall clock over N renders) and per parse.
 *
 *   tmpl_bench [N [handlebars|mustache]]
 *                   (default 20000 renders of each dialect)
 *
 * Under callgrind (bench/tmpl/run.sh callgrind) run it twice with
 * different N: the difference of the instruction counts over the
 * difference of N is the instructions per render, exact on a busy
 * machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

/* Parses per run: fixed, so that the callgrind difference is renders. */
#define BENCH_PARSES 1000

/* What both dialects' receipts share: 30 variables, no sections. */
#define RECEIPT_TAIL                                                           \
	"<h2>Billing</h2><p>{{billing.name}}<br>{{billing.line1}}<br>"         \
	"{{billing.line2}}<br>{{billing.postal}} {{billing.city}}<br>"         \
	"{{billing.region}} {{billing.country}}</p>\n"                         \
	"<h2>Shipping</h2><p>{{shipping.name}}<br>{{shipping.line1}}<br>"      \
	"{{shipping.line2}}<br>{{shipping.postal}} {{shipping.city}}<br>"      \
	"{{shipping.region}} {{shipping.country}}</p>\n"                       \
	"<p>Paid with {{payment.brand}} ending {{payment.last4}}, "            \
	"{{payment.status}}.</p>\n"                                            \
	"<p>Questions? {{company.support_email}} or {{company.phone}}.</p>\n"  \
	"<footer>{{company.name}}, {{company.address}} - {{company.url}} - "   \
	"<a href=\"{{unsubscribe_url}}\">unsubscribe</a> - "                   \
	"{{customer.email}} - (c) {{year}}</footer>\n"                         \
	"</body></html>\n"

#define RECEIPT_TOTALS                                                         \
	"<p>Subtotal {{order.subtotal}}, tax {{order.tax}}, shipping "         \
	"{{order.shipping}}, discount {{order.discount}}: total "              \
	"{{order.total}} {{order.currency}}</p>\n"

static const char hbs_receipt[] =
    "<html><body>\n<h1>Receipt {{order.id}}</h1>\n"
    "<p>Hello {{customer.first_name}} {{customer.last_name}},</p>\n"
    "<p>Thank you for your order of {{formatDate order.placed_at "
    "\"MMMM DD, YYYY\"}} ({{order.reference}}).</p>\n"
    "<table>\n  {{#each items}}\n"
    "  <tr><td>{{sku}}</td><td>{{name}}</td><td>{{qty}}</td>"
    "<td>{{price}}</td><td>{{total}}</td></tr>\n"
    "  {{/each}}\n</table>\n" RECEIPT_TOTALS
    "{{#if order.coupon}}<p>Coupon {{order.coupon}} saved you "
    "{{order.discount}}.</p>{{/if}}\n" RECEIPT_TAIL;

static const char mus_receipt[] =
    "<html><body>\n<h1>Receipt {{order.id}}</h1>\n"
    "<p>Hello {{customer.first_name}} {{customer.last_name}},</p>\n"
    "<p>Thank you for your order of {{order.placed_at}} "
    "({{order.reference}}).</p>\n"
    "<table>\n  {{#items}}\n"
    "  <tr><td>{{sku}}</td><td>{{name}}</td><td>{{qty}}</td>"
    "<td>{{price}}</td><td>{{total}}</td></tr>\n"
    "  {{/items}}\n</table>\n" RECEIPT_TOTALS
    "{{#order.coupon}}<p>Coupon {{order.coupon}} saved you "
    "{{order.discount}}.</p>{{/order.coupon}}\n" RECEIPT_TAIL;

/* bench_data - the receipt's data: 10 items and the rest. */
static json_t *
bench_data(void)
{
	json_t *d = json_pack(
	    "{s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
	    "s:{s:s,s:s,s:s},"
	    "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
	    "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
	    "s:{s:s,s:s,s:s},"
	    "s:{s:s,s:s,s:s,s:s,s:s},"
	    "s:s,s:i}",
	    "order", "id", "R-20260112-0042", "reference", "web/8812",
	    "placed_at", "2026-01-12T09:30:00Z", "subtotal", "182.40", "tax",
	    "36.48", "shipping", "4.90", "discount", "10.00", "total", "213.78",
	    "currency", "EUR", "coupon", "WINTER10", "customer", "first_name",
	    "Ann", "last_name", "O'Brien", "email", "ann@example.com",
	    "billing", "name", "Ann O'Brien", "line1", "12 Rue des Fleurs",
	    "line2", "Apt 4 <B>", "postal", "75011", "city", "Paris", "region",
	    "Ile-de-France", "country", "FR", "shipping", "name", "Ann O'Brien",
	    "line1", "12 Rue des Fleurs", "line2", "Apt 4 <B>", "postal",
	    "75011", "city", "Paris", "region", "Ile-de-France", "country",
	    "FR", "payment", "brand", "Visa", "last4", "4242", "status", "paid",
	    "company", "name", "Shop & Co", "address", "1 Main St", "url",
	    "https://shop.example", "support_email", "help@shop.example",
	    "phone", "+33 1 23 45 67 89", "unsubscribe_url",
	    "https://shop.example/u?id=42&t=abc", "year", 2026);
	json_t *items = json_array();
	int i;

	for (i = 0; i < 10; i++) {
		char sku[16];

		snprintf(sku, sizeof(sku), "SKU-%04d", 100 + i);
		json_array_append_new(
		    items,
		    json_pack("{s:s,s:s,s:i,s:s,s:s}", "sku", sku, "name",
		              "Woollen socks \"winter\" edition", "qty",
		              1 + i % 3, "price", "9.90", "total", "19.80"));
	}
	json_object_set_new(d, "items", items);
	return d;
}

/* bench_now - monotonic seconds. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_one - parse and render one dialect's receipt n times. */
static int
bench_one(const char *label, enum tmpl_dialect d, const char *src, long n,
          const json_t *data)
{
	struct tmpl_error err;
	struct tmpl *t = NULL;
	struct buf out;
	double t0, t1, t2;
	size_t bytes = 0;
	long i;

	t0 = bench_now();
	for (i = 0; i < BENCH_PARSES; i++) {
		tmpl_free(t);
		t = tmpl_parse(d, src, strlen(src), &err);
		if (t == NULL) {
			fprintf(stderr, "%s: %u:%u %s\n", label, err.line,
			        err.col, err.msg);
			return -1;
		}
	}
	t1 = bench_now();
	buf_init(&out);
	for (i = 0; i < n; i++) {
		out.len = 0;
		if (tmpl_render(t, data, NULL, &out, &err) != 0) {
			fprintf(stderr, "%s: %s\n", label, err.msg);
			return -1;
		}
		bytes = out.len;
	}
	t2 = bench_now();
	printf("%-10s parse %7.2f us  render %7.2f us  (%zu bytes out, "
	       "%ld renders)\n",
	       label, (t1 - t0) * 1e6 / BENCH_PARSES,
	       (t2 - t1) * 1e6 / (double)n, bytes, n);
	buf_fini(&out);
	tmpl_free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	const char *only = argc > 2 ? argv[2] : "";
	json_t *data = bench_data();
	int rc = 0;

	if (n <= 0)
		n = 1;
	if (strcmp(only, "mustache") != 0)
		rc |= bench_one("handlebars", TMPL_HANDLEBARS, hbs_receipt, n,
		                data);
	if (strcmp(only, "handlebars") != 0)
		rc |=
		    bench_one("mustache", TMPL_MUSTACHE, mus_receipt, n, data);
	json_decref(data);
	return rc ? 1 : 0;
}
