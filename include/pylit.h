/*
 * pylit.h -- Python literals (what ast.literal_eval takes, less complex
 * numbers, bytes and sets of unhashables) read into JSON: the form in
 * which the Rucio client sends DID search filters. Knows nothing of HTTP.
 *
 *   dict {k: v, ...}      an object; keys must be strings
 *   list [..], tuple (..,), set {a, ...}   an array
 *   'str' "str" '''str''' """str""", r'raw', u'x', adjacent ones joined
 *   int (decimal, 0x 0o 0b, '_' between digits) within int64, float
 *   True False None, unary + and -
 */
#ifndef PYLIT_H
#define PYLIT_H

#include <stddef.h>

#include <jansson.h>

/* How deep lists and dicts may nest, and how long a text may be. */
#define PYLIT_DEPTH_MAX 32
#define PYLIT_TEXT_MAX  (64 * 1024)

/*
 * The literal in the NUL-terminated text s (blanks around it allowed)
 * into *out, a new reference. 0, or -1 with *out NULL and a short reason
 * (with the offset) in why[0..whylen).
 */
int pylit_parse(const char *s, json_t **out, char *why, size_t whylen);

#endif /* PYLIT_H */
