/*
 * pfn.c -- how the storage daemons reach a file (core; pfn.h): protocol
 * choice, PFNs and the copy layer's settings, for the mover and the
 * reaper. No HTTP.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "pfn.h"
#include "rse.h"
#include "util.h"
#include "xfer.h"

static const char *
str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *
default_ca(void)
{
	static char path[PATH_MAX];

	if (path[0] == '\0' &&
	    snprintf(path, sizeof(path), "%s/tls/ca.pem", cfg.home) <
		(int)sizeof(path) &&
	    access(path, R_OK) != 0)
		path[0] = '\0';
	return path[0] != '\0' ? path : NULL;
}

static bool
spoken(const char *scheme)
{
	return scheme != NULL &&
	    (strcmp(scheme, "file") == 0 || strcmp(scheme, "https") == 0 ||
		strcmp(scheme, "davs") == 0);
}

int
pfn_proto(const char *rse, const char *op, json_t **out, struct gr_err *err)
{
	json_t *list = NULL, *p, *best = NULL;
	json_int_t bestprio = 0;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = rse_proto_list(rse, &list, err)) != GR_OK) {
		if (rc == GR_RSE_PROTO_NOT_SUPPORTED) {
			gr_clear(err);
			rc = gr_fail(err, GR_RSE_PROTO_NOT_SUPPORTED,
			    "RSE %s has no protocol", rse);
		}
		return rc;
	}
	json_array_foreach(list, i, p) {
		json_int_t prio = json_integer_value(
		    json_object_get(json_object_get(json_object_get(p,
							"domains"),
					"wan"),
			op));

		if (spoken(str(p, "scheme")) && prio > 0 &&
		    (best == NULL || prio < bestprio)) {
			best = p;
			bestprio = prio;
		}
	}
	if (best != NULL)
		*out = json_incref(best);
	json_decref(list);
	if (best == NULL)
		return gr_fail(err, GR_RSE_PROTO_NOT_SUPPORTED,
		    "RSE %s has no file, https or davs protocol to %s", rse,
		    op);
	return GR_OK;
}

int
pfn_make(const char *rse, const json_t *proto, const char *op,
    const char *scope, const char *name, const char *path, char **pfn,
    struct gr_err *err)
{
	json_t *lfns, *out = NULL;
	struct sbuf b = { 0 };
	char *base;
	int rc;

	*pfn = NULL;
	if (path != NULL) {
		base = rse_proto_base(proto);
		sbuf_adds(&b, base);
		sbuf_adds(&b, path[0] == '/' ? path + 1 : path);
		free(base);
		*pfn = b.s;
		return GR_OK;
	}
	sbuf_adds(&b, scope);
	sbuf_adds(&b, ":");
	sbuf_adds(&b, name);
	lfns = json_pack("[s]", b.s);
	rc = rse_lfns2pfns(rse, lfns, str(proto, "scheme"), "wan", op, &out,
	    err);
	if (rc == GR_OK && str(out, b.s) != NULL)
		*pfn = xstrdup(str(out, b.s));
	else if (rc == GR_OK)
		rc = gr_fail(err, GR_INVALID_PATH, "no PFN for %s on %s", b.s,
		    rse);
	json_decref(out);
	json_decref(lfns);
	sbuf_free(&b);
	return rc;
}

void
pfn_settings(const json_t *proto, struct xfer_rse *r)
{
	const char *defca = default_ca();
	const json_t *ext = json_object_get(proto, "extended_attributes");

	memset(r, 0, sizeof(*r));
	r->prefix = str(proto, "prefix") != NULL ? str(proto, "prefix") : "";
	r->cafile = str(ext, "ca_file") != NULL ? str(ext, "ca_file") : defca;
	r->cert = str(ext, "client_cert");
	r->key = str(ext, "client_key");
}
