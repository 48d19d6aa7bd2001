/*
 * err.h -- the error record shared by every layer (modelled on jansson's
 * json_error_t: fixed size, no allocation). Core and store record failures
 * here; only the web layer turns a record into an HTTP response.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

#include <stdarg.h>

enum gr_code {
	GR_OK = 0,
#define GR_ERROR(code, status, cls) code,
#include "errors.def"
#undef GR_ERROR
	GR_CODE_COUNT
};

#define GR_ERR_MSG_MAX 256

struct gr_err {
	enum gr_code code;
	char msg[GR_ERR_MSG_MAX];
};

/*
 * Record a failure and return its code, so that call sites read
 * "return gr_fail(err, GR_X, ...)". The first failure wins: a record that
 * already holds an error is left unchanged (its code is still returned).
 * err may be NULL.
 */
int gr_fail(struct gr_err *err, enum gr_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int gr_vfail(struct gr_err *err, enum gr_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * How core hands the items of a list to the web layer, one at a time, while
 * its cursor is open: item is borrowed for the call. Returns GR_OK to go on,
 * anything else (the client went away) to end the list with that code.
 */
struct json_t;
typedef int (*gr_emit_fn)(struct json_t *item, void *ctx);

/* The same for listings that write their items as JSON text themselves
   (the hot ones): line[0..n) is one JSON object, without a newline. */
typedef int (*gr_emit_text_fn)(const char *line, size_t n, void *ctx);

/* Forget a recorded failure. */
void gr_clear(struct gr_err *err);

/* HTTP status of a code (500 for unknown codes). */
int gr_err_status(enum gr_code code);

/* ExceptionClass of a code; borrowed, static. */
const char *gr_err_class(enum gr_code code);

#endif /* ERR_H */
