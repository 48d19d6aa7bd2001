/*
 * jsonx.h -- JSON text for what jansson cannot hold: Rucio writes an
 * unlimited quota as Python's float('inf'), which json.dumps writes as the
 * bare token Infinity (read back by Python's json.loads, the real client's
 * parser, and by jq). Jansson refuses infinite reals, so core puts one
 * shared value in its place and jsonx_text() writes it as Infinity.
 *
 * Our JSON helpers are named jsonx_, never json_: jansson owns the json_
 * prefix, and a symbol it adds in a later release would collide with ours
 * at link time (or, as a macro or inline in jansson.h, at compile time).
 */
#ifndef JSONX_H
#define JSONX_H

#include <jansson.h>

#include "util.h"

/*
 * The value that stands for an unlimited number. Borrowed and never freed:
 * json_object_set() it (not _new). Written by jansson itself (a reader that
 * does not know it) it is the largest double, 1.7976931348623157e308.
 */
json_t *jsonx_infinity(void);

/* Append v as compact JSON text to b, jsonx_infinity() as Infinity. */
void jsonx_text(struct sbuf *b, const json_t *v);

#endif /* JSONX_H */
