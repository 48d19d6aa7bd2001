/*
 * err.c -- error record and the code -> (status, class) table generated from
 * errors.def. No I/O here: the web layer writes errors.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"

struct gr_err_info {
	int status;
	const char *cls;
};

static const struct gr_err_info gr_err_table[GR_CODE_COUNT] = {
	[GR_OK] = { 200, "" },
#define GR_ERROR(code, status, cls) [code] = { status, cls },
#include "errors.def"
#undef GR_ERROR
};

int
gr_vfail(struct gr_err *err, enum gr_code code, const char *fmt, va_list ap)
{
	if (err == NULL || err->code != GR_OK)
		return err != NULL ? (int)err->code : (int)code;
	err->code = code;
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int
gr_fail(struct gr_err *err, enum gr_code code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gr_vfail(err, code, fmt, ap);
	va_end(ap);
	return rc;
}

void
gr_clear(struct gr_err *err)
{
	err->code = GR_OK;
	err->msg[0] = '\0';
}

int
gr_err_status(enum gr_code code)
{
	if ((int)code < 0 || code >= GR_CODE_COUNT)
		return 500;
	return gr_err_table[code].status;
}

const char *
gr_err_class(enum gr_code code)
{
	if ((int)code < 0 || code >= GR_CODE_COUNT)
		return "RucioException";
	return gr_err_table[code].cls;
}
