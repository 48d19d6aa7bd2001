/*
 * jsonx.h -- gridrest's JSON helpers beside jansson: members of a stored
 * record's JSON text read in place (jsonx_member, for listings' hot paths
 * that would otherwise parse every record), const values handed to
 * jansson (jsonx_unconst), stored times as Rucio's dates (jsonx_date), and
 * JSON text for what jansson cannot hold.
 *
 * Rucio writes an unlimited quota as Python's float('inf'), which json.dumps
 * writes as the bare token Infinity (read back by Python's json.loads, the real
 * client's parser, and by jq). Jansson refuses infinite reals, so core puts one
 * shared value in its place and jsonx_text() writes it as Infinity.
 *
 * Our JSON helpers are named jsonx_, never json_: jansson owns the json_
 * prefix, and a symbol it adds in a later release would collide with ours
 * at link time (or, as a macro or inline in jansson.h, at compile time).
 */
#ifndef JSONX_H
#define JSONX_H

#include <stdint.h>

#include <jansson.h>

#include "util.h"

/*
 * v with its const taken off, for the jansson calls that want a json_t *
 * where we hold a const one: json_object_foreach and json_array_foreach,
 * json_equal and json_copy (which only read), json_incref and the
 * non-stealing setters (json_array_append, json_object_set), which add a
 * reference. Safe because jansson allocates every value itself, so none
 * is a const object (C11 6.7.3p6 forbids only writing through a cast to
 * an object defined const), and those calls change at most the reference
 * count, never what the value holds; the const in our signatures promises
 * that. The uintptr_t step keeps -Wcast-qual quiet for this one cast.
 */
static inline json_t *
jsonx_unconst(const json_t *v)
{
	return (json_t *)(uintptr_t)v;
}

/*
 * The value that stands for an unlimited number. Borrowed and never freed:
 * json_object_set() it (not _new). Written by jansson itself (a reader that
 * does not know it) it is the largest double, 1.7976931348623157e308.
 */
json_t *jsonx_infinity(void);

/* Append v as compact JSON text to b, jsonx_infinity() as Infinity. */
void jsonx_text(struct sbuf *b, const json_t *v);

/*
 * New reference: rec's member key, a time in epoch seconds as stored, as
 * the RFC 1123 date string Rucio renders (date.h); null when the member
 * is absent or not an integer.
 */
json_t *jsonx_date(const json_t *rec, const char *key);

/*
 * In the JSON object text s[0..n) (a stored record), the text of the
 * value of the top-level member key: *val points into s, *vlen its
 * length. false when the member is absent or the text is not an object.
 */
bool jsonx_member(const char *s, size_t n, const char *key, const char **val,
    size_t *vlen);

/*
 * Call fn(key, klen, val, vlen, arg) for every top-level member of the
 * JSON object text s[0..n), key without its quotes and as written (no
 * escapes undone), val its value's text; fn returns true to stop. false if
 * the text is not an object.
 */
typedef bool (*jsonx_member_fn)(const char *key, size_t klen, const char *val,
    size_t vlen, void *arg);
bool jsonx_members(const char *s, size_t n, jsonx_member_fn fn, void *arg);

/* A member's text as an integer (false if it is not one). */
bool jsonx_member_int(const char *val, size_t vlen, long long *out);

/*
 * The JSON object text s[0..n) with members changed, into out (emptied
 * first): each edit's key gets the value text val (JSON, as written)
 * where it stands, or at the end when absent; val NULL removes the
 * member. The other members are copied as they are, so a record stored
 * compact by jansson comes out as jansson would write it after the same
 * json_object_set/del calls, without a parse. false if s is not an
 * object.
 */
struct jsonx_edit {
	const char *key, *val;
};
bool jsonx_edit(struct sbuf *out, const char *s, size_t n,
    const struct jsonx_edit *e, size_t ne);

#endif /* JSONX_H */
