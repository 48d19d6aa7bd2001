/*
 * rse_expr.h -- RSE expressions (core; spec/rucio.md section 6): terms are
 * "*", a bare attribute (every RSE has "<its name>: true"), key=value on a
 * setting or an attribute, key<value and key>value on numeric attributes;
 * "|" union, "&" intersection, "\" difference, all of equal precedence and
 * applied strictly left to right; parentheses group; no spaces. Evaluated
 * against the store as it is (no cache), as sets of RSEs.
 */
#ifndef RSE_EXPR_H
#define RSE_EXPR_H

#include <jansson.h>

#include "err.h"
#include "store.h"

#define RSE_EXPR_MAX 1024 /* longest expression */

/*
 * GR_OK when expr is a non-empty text of at most RSE_EXPR_MAX bytes;
 * GR_INVALID_RSE_EXPR otherwise: Rucio's syntax message for an empty one,
 * the limit and the length for a long one (checked before the syntax, so
 * a long expression is not called a syntax error).
 */
int rse_expr_check_len(const char *expr, struct gr_err *err);

/*
 * Inside a transaction: *out, new reference to the sorted list of the names
 * of the live RSEs expr selects. An empty result, a syntax error or a
 * parenthesis problem is GR_INVALID_RSE_EXPR with Rucio's message.
 */
int rse_expr_eval(struct st_txn *t, const char *expr, json_t **out,
    struct gr_err *err);

/*
 * Inside a transaction: *out, new reference to the sorted names of the live
 * RSEs whose attribute key equals value as key=value compares it in an
 * expression (a string exactly; true/false, 1/0 and numbers by value),
 * without the expression syntax: [] when none has it.
 */
int rse_attr_equals(struct st_txn *t, const char *key, const char *value,
    json_t **out, struct gr_err *err);

/* emit {"rse": name} for every RSE expr selects (GET /rses/?expression=). */
int rse_expr_list(const char *expr, gr_emit_fn emit, void *ctx,
    struct gr_err *err);

#endif /* RSE_EXPR_H */
