/*
 * expr.c -- RSE-expression evaluation time over many RSEs, in a private
 * store: creates N RSEs (default 1000) with a few attributes each, then
 * times rse_expr_eval on expressions of each kind and prints microseconds
 * per evaluation (mean of the repetitions) and the size of each result.
 *
 *   expr_bench DIR [N] [REPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "account.h"
#include "cfg.h"
#include "rse.h"
#include "rse_expr.h"
#include "store.h"
#include "util.h"

struct eval_args {
	const char *expr;
	long reps;
	size_t size;
};

static int
eval_txn(struct st_txn *t, void *arg, struct gr_err *err)
{
	struct eval_args *a = arg;
	json_t *out;
	long i;
	int rc;

	for (i = 0; i < a->reps; i++) {
		if ((rc = rse_expr_eval(t, a->expr, &out, err)) != GR_OK)
			return rc;
		a->size = json_array_size(out);
		json_decref(out);
	}
	return GR_OK;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	static const char *const exprs[] = { "*", "RSE0500", "tier=1",
		"tier=1&country=DE", "(tier=1|tier=2)\\country=FR",
		"freespace>500", "type=DISK&freespace<100|RSE0007",
		"country=DE|country=FR|country=IT&tier=2" };
	static const char *const countries[] = { "DE", "FR", "IT", "ES", "UK" };
	struct gr_err err = { 0 };
	long n = 1000, reps = 200;
	bool created;
	size_t i;
	long k;

	if (argc < 2 ||
	    (argc > 2 && parse_long(argv[2], 10, 1000000, &n) != 0) ||
	    (argc > 3 && parse_long(argv[3], 1, 1000000, &reps) != 0)) {
		fprintf(stderr, "usage: expr_bench DIR [N>=10] [REPS]\n");
		return 2;
	}
	json_set_alloc_funcs(xmalloc, free);
	cfg.durability = CFG_DURABLE_NONE;
	if (st_open(argv[1], ST_INIT, &err) != GR_OK ||
	    account_ensure("root", "SERVICE", NULL, &created, &err) != GR_OK) {
		fprintf(stderr, "expr_bench: %s\n", err.msg);
		return 1;
	}
	for (k = 0; k < n; k++) {
		char name[32], num[32];
		json_t *none = json_object(), *v;

		(void)snprintf(name, sizeof(name), "RSE%04ld", k);
		if (rse_add("root", name, none, &err) != GR_OK) {
			fprintf(stderr, "expr_bench: %s\n", err.msg);
			return 1;
		}
		json_decref(none);
		v = json_integer(1 + k % 3);
		(void)rse_attr_set("root", name, "tier", v, &err);
		json_decref(v);
		v = json_string(countries[k % 5]);
		(void)rse_attr_set("root", name, "country", v, &err);
		json_decref(v);
		v = json_string(k % 4 == 0 ? "TAPE" : "DISK");
		(void)rse_attr_set("root", name, "type", v, &err);
		json_decref(v);
		(void)snprintf(num, sizeof(num), "%ld", (k * 7919) % 1000);
		v = json_string(num);
		(void)rse_attr_set("root", name, "freespace", v, &err);
		json_decref(v);
	}
	printf("RSE expressions over %ld RSEs (4 attributes each), %ld "
	       "evaluations each:\n",
	    n, reps);
	printf("%-42s %10s %8s\n", "expression", "us/eval", "result");
	for (i = 0; i < ARRAY_LEN(exprs); i++) {
		struct eval_args a = { .expr = exprs[i], .reps = reps };
		double t0 = now_us(), t1;

		if (st_view(eval_txn, &a, 0, &err) != GR_OK) {
			fprintf(stderr, "expr_bench: %s: %s\n", exprs[i],
			    err.msg);
			return 1;
		}
		t1 = now_us();
		printf("%-42s %10.1f %8zu\n", exprs[i],
		    (t1 - t0) / (double)reps, a.size);
	}
	st_close();
	return 0;
}
