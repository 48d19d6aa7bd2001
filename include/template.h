/*
 * template.h -- HTML pages kept as data files and filled in per request.
 * A template is text with {{name}}, replaced by the value of name with
 * HTML's special characters escaped, and {{#name}} ... {{/name}}, a
 * section kept only when name has a value (sections do not nest). A name
 * the caller does not give, or a section left open, is an error: a page
 * never goes out half filled.
 *
 * The files are found in the data directory: GRIDREST_DATADIR when set,
 * else share/gridrest beside the executable or up to two directories
 * above it (the build tree: build/share/gridrest for the families in
 * build/cgi-bin, which make fills), else GR_DATADIR (make install's, by default
 * /usr/local/share/gridrest).
 */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stddef.h>

#include "arena.h"
#include "err.h"

#define TMPL_FILE_MAX (64 * 1024) /* bytes of one template */

struct tmpl_var {
	const char *name;
	const char *value; /* NULL: no value (its sections are left out) */
};

/*
 * *text: the template file name of the data directory, read once per
 * process and kept. GR_INTERNAL when it cannot be found or read.
 */
int tmpl_load(const char *name, const char **text, struct gr_err *err);

/* text filled with vars[0..n) into *out (the arena's). */
int tmpl_render(struct arena *a, const char *text, const struct tmpl_var *vars,
    size_t n, char **out, struct gr_err *err);

/* s with & < > " ' escaped for HTML text and attribute values, in the
   arena; "" for NULL. */
const char *tmpl_html(struct arena *a, const char *s);

#endif /* TEMPLATE_H */
