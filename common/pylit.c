/*
 * pylit.c -- a recursive-descent reader of Python literals into JSON
 * (pylit.h). Each rule reads at p->s + p->i and leaves p->i after what it
 * read; the first failure stops everything with its reason.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pylit.h"
#include "util.h"

struct pyp {
	const char *s;
	size_t i;
	int depth;
	char *why;
	size_t whylen;
	bool failed;
};

static json_t *value(struct pyp *p);

/* The first reason wins; NULL for the caller's return. */
static json_t *
fail(struct pyp *p, const char *what)
{
	if (!p->failed && p->whylen > 0)
		(void)snprintf(p->why, p->whylen, "%s at offset %zu", what,
		    p->i);
	p->failed = true;
	return NULL;
}

static void
blanks(struct pyp *p)
{
	while (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
	    p->s[p->i] == '\r' || p->s[p->i] == '\f')
		p->i++;
}

static bool
ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' ||
	    (unsigned char)c >= 0x80;
}

/* --- strings ---------------------------------------------------------- */

static void
add_utf8(struct sbuf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sbuf_add(b, u, n);
}

/* n hex digits at s into *cp; false if they are not all there. */
static bool
hex_digits(const char *s, int n, uint32_t *cp)
{
	int k;

	*cp = 0;
	for (k = 0; k < n; k++) {
		if (!isxdigit((unsigned char)s[k]))
			return false;
		*cp = *cp * 16 +
		    (uint32_t)(isdigit((unsigned char)s[k])
			    ? s[k] - '0'
			    : tolower((unsigned char)s[k]) - 'a' + 10);
	}
	return true;
}

/* The escape after a backslash at p->i (which is past the backslash). */
static bool
escape(struct pyp *p, struct sbuf *b)
{
	static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
	const char *hit;
	char c = p->s[p->i];
	uint32_t cp;
	int n;

	if (c == '\n') { /* a continued line */
		p->i++;
		return true;
	}
	if (c != '\0' && (hit = strchr(from, c)) != NULL) {
		sbuf_add(b, &to[hit - from], 1);
		p->i++;
		return true;
	}
	if (c >= '0' && c <= '7') {
		for (cp = 0, n = 0;
		     n < 3 && p->s[p->i] >= '0' && p->s[p->i] <= '7';
		     n++, p->i++)
			cp = cp * 8 + (uint32_t)(p->s[p->i] - '0');
	} else if (c == 'x' || c == 'u' || c == 'U') {
		n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
		if (!hex_digits(p->s + p->i + 1, n, &cp)) {
			fail(p, "a truncated \\x, \\u or \\U escape");
			return false;
		}
		p->i += (size_t)n + 1;
	} else if (c == 'N') {
		fail(p, "named escapes (\\N{...}) are not supported");
		return false;
	} else { /* Python keeps an unknown escape as it is */
		sbuf_add(b, "\\", 1);
		return true;
	}
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		fail(p, "an escape of NUL, a surrogate or beyond U+10FFFF");
		return false;
	}
	add_utf8(b, cp);
	return true;
}

/* One string literal (its prefix at p->i) appended to b. */
static bool
string_part(struct pyp *p, struct sbuf *b)
{
	bool raw = false;
	size_t start = p->i, q;
	char quote, c;
	int triple;

	/* of Python's prefixes only r and u make a str (one at a time) */
	for (; isalpha((unsigned char)p->s[p->i]); p->i++) {
		c = (char)tolower((unsigned char)p->s[p->i]);
		if (p->i > start || (c != 'r' && c != 'u')) {
			fail(p,
			    c == 'b' ? "bytes literals are not supported"
				     : "f-strings and unknown string "
				       "prefixes are not literals");
			return false;
		}
		raw = c == 'r';
	}
	quote = p->s[p->i];
	triple = p->s[p->i + 1] == quote && p->s[p->i + 2] == quote;
	p->i += triple ? 3 : 1;
	for (;;) {
		c = p->s[p->i];
		if (c == '\0') {
			fail(p, "a string is not closed");
			return false;
		}
		if (c == quote &&
		    (!triple ||
			(p->s[p->i + 1] == quote && p->s[p->i + 2] == quote))) {
			p->i += triple ? 3 : 1;
			return true;
		}
		if (c == '\n' && !triple) {
			fail(p, "a line break in a one-line string");
			return false;
		}
		if (c == '\\') {
			p->i++;
			if (raw) { /* both stay; the quote does not close */
				q = p->s[p->i] != '\0' ? 2 : 1;
				sbuf_add(b, p->s + p->i - 1, q);
				p->i += q - 1;
				continue;
			}
			if (!escape(p, b))
				return false;
			continue;
		}
		sbuf_add(b, &c, 1);
		p->i++;
	}
}

/* Whether a string literal (perhaps prefixed) starts at p->i. */
static bool
string_ahead(const struct pyp *p)
{
	size_t i = p->i;

	while (i - p->i < 3 && isalpha((unsigned char)p->s[i]))
		i++;
	return p->s[i] == '\'' || p->s[i] == '"';
}

/* Adjacent string literals, joined. */
static json_t *
string(struct pyp *p)
{
	struct sbuf b = { 0 };
	json_t *v;

	do {
		if (!string_part(p, &b)) {
			sbuf_free(&b);
			return NULL;
		}
		blanks(p);
	} while (string_ahead(p));
	v = json_stringn(b.s != NULL ? b.s : "", b.len);
	sbuf_free(&b);
	return v != NULL ? v : fail(p, "a string is not valid UTF-8");
}

/* --- numbers ---------------------------------------------------------- */

/*
 * Digits of base (with single '_' between them) copied to d; how many
 * digits were read, or -1 for a misplaced '_'.
 */
static int
digits(struct pyp *p, int base, struct sbuf *d)
{
	int n = 0;

	for (;;) {
		char c = p->s[p->i];
		int v = isdigit((unsigned char)c) ? c - '0'
		    : isxdigit((unsigned char)c)
		    ? tolower((unsigned char)c) - 'a' + 10
		    : 99;

		if (c == '_') {
			if (n == 0 || !isxdigit((unsigned char)p->s[p->i + 1]))
				return -1;
			p->i++;
			continue;
		}
		if (v >= base)
			return n;
		sbuf_add(d, &c, 1);
		p->i++;
		n++;
	}
}

static json_t *
number(struct pyp *p, bool negative)
{
	struct sbuf d = { 0 };
	json_t *v = NULL;
	int base = 10, n;
	bool real = false;
	char *end;

	sbuf_add(&d, negative ? "-" : "+", 1);
	if (p->s[p->i] == '0' && strchr("xXoObB", p->s[p->i + 1]) != NULL &&
	    p->s[p->i + 1] != '\0') {
		base = strchr("xX", p->s[p->i + 1]) ? 16
		    : strchr("oO", p->s[p->i + 1])  ? 8
						    : 2;
		p->i += 2;
		if (p->s[p->i] == '_')
			p->i++;
		if (digits(p, base, &d) <= 0)
			goto bad;
	} else {
		n = digits(p, 10, &d);
		if (n < 0)
			goto bad;
		if (p->s[p->i] == '.') {
			real = true;
			sbuf_add(&d, ".", 1);
			p->i++;
			if (isdigit((unsigned char)p->s[p->i]) &&
			    digits(p, 10, &d) < 0)
				goto bad;
			if (n == 0 && d.len == 2)
				goto bad;
		}
		if (n == 0 && !real)
			goto bad;
		if (p->s[p->i] == 'e' || p->s[p->i] == 'E') {
			real = true;
			sbuf_add(&d, "e", 1);
			p->i++;
			if (p->s[p->i] == '+' || p->s[p->i] == '-')
				sbuf_add(&d, &p->s[p->i++], 1);
			if (digits(p, 10, &d) <= 0)
				goto bad;
		}
		/* "01" is not a Python int; "00" and "0.1" are fine */
		if (!real && d.s[1] == '0' && strspn(d.s + 1, "0") != d.len - 1)
			goto bad;
	}
	if (p->s[p->i] == 'j' || p->s[p->i] == 'J') {
		sbuf_free(&d);
		return fail(p, "complex numbers are not supported");
	}
	if (ident_char(p->s[p->i]) || p->s[p->i] == '.')
		goto bad;
	sbuf_add(&d, "", 1);
	errno = 0;
	if (real) {
		double x = strtod(d.s, &end);

		if (errno == ERANGE && (x > 1 || x < -1))
			x = negative ? -HUGE_VAL : HUGE_VAL;
		if (!isfinite(x)) {
			sbuf_free(&d);
			return fail(p, "a float beyond the range of a double");
		}
		v = json_real(x);
	} else {
		long long x = strtoll(d.s, &end, base);

		if (errno == ERANGE) {
			sbuf_free(&d);
			return fail(p, "an integer beyond 64 bits");
		}
		v = json_integer(x);
	}
	sbuf_free(&d);
	return v;
bad:
	sbuf_free(&d);
	return fail(p, "a malformed number");
}

/* --- containers ------------------------------------------------------- */

/*
 * Items up to close, separated by commas (a trailing one allowed). For a
 * dict each item is "key: value". *commas counts the commas seen.
 */
static bool
items(struct pyp *p, char close, json_t *into, bool dict, int *commas)
{
	json_t *k, *v;

	for (;;) {
		blanks(p);
		if (p->s[p->i] == close) {
			p->i++;
			return true;
		}
		if ((k = value(p)) == NULL)
			return false;
		blanks(p);
		if (dict) {
			if (!json_is_string(k)) {
				json_decref(k);
				fail(p, "dictionary keys must be strings");
				return false;
			}
			if (p->s[p->i] != ':') {
				json_decref(k);
				fail(p, "':' expected after a dictionary key");
				return false;
			}
			p->i++;
			if ((v = value(p)) == NULL) {
				json_decref(k);
				return false;
			}
			json_object_set_new(into, json_string_value(k), v);
			json_decref(k);
			blanks(p);
		} else {
			json_array_append_new(into, k);
		}
		if (p->s[p->i] == ',') {
			p->i++;
			(*commas)++;
		} else if (p->s[p->i] != close) {
			fail(p, "',' or a closing bracket expected");
			return false;
		}
	}
}

/* After '{': a dict, or a set (an array, duplicates kept). */
static json_t *
braces(struct pyp *p)
{
	size_t at;
	json_t *first, *out;
	int commas = 0;
	bool dict;

	blanks(p);
	at = p->i;
	if (p->s[p->i] == '}') {
		p->i++;
		return json_object();
	}
	/* the first item decides; a dict is read again from its first key,
	   a string, so nothing nested is ever read twice */
	if ((first = value(p)) == NULL)
		return NULL;
	blanks(p);
	dict = p->s[p->i] == ':';
	if (dict && !json_is_string(first)) {
		json_decref(first);
		return fail(p, "dictionary keys must be strings");
	}
	if (dict) {
		json_decref(first);
		p->i = at;
		out = json_object();
	} else {
		out = json_array();
		json_array_append_new(out, first);
		if (p->s[p->i] == ',') {
			p->i++;
		} else if (p->s[p->i] != '}') {
			json_decref(out);
			return fail(p, "',' or '}' expected");
		}
	}
	if (!items(p, '}', out, dict, &commas)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* After '(': a parenthesised value, or a tuple (an array). */
static json_t *
parens(struct pyp *p)
{
	json_t *out = json_array(), *v;
	int commas = 0;

	if (!items(p, ')', out, false, &commas)) {
		json_decref(out);
		return NULL;
	}
	if (json_array_size(out) == 1 && commas == 0) {
		v = json_incref(json_array_get(out, 0));
		json_decref(out);
		return v;
	}
	return out;
}

/* --- values ----------------------------------------------------------- */

static json_t *
value(struct pyp *p)
{
	static const struct {
		const char *name;
		json_t *(*make)(void);
	} names[] = { { "True", json_true }, { "False", json_false },
		{ "None", json_null } };
	json_t *v = NULL, *out;
	bool negative = false;
	int commas = 0;
	size_t i, n;
	char c;

	blanks(p);
	if (++p->depth > PYLIT_DEPTH_MAX)
		return fail(p, "nested too deeply");
	/* signs apply to numbers only, as literal_eval has it */
	while (p->s[p->i] == '-' || p->s[p->i] == '+') {
		negative ^= p->s[p->i] == '-';
		p->i++;
		blanks(p);
		if (p->s[p->i] != '-' && p->s[p->i] != '+' &&
		    !isdigit((unsigned char)p->s[p->i]) && p->s[p->i] != '.') {
			p->depth--;
			return fail(p, "a sign before something not a number");
		}
	}
	c = p->s[p->i];
	if (isdigit((unsigned char)c) || c == '.') {
		v = number(p, negative);
	} else if (string_ahead(p)) {
		v = string(p);
	} else if (c == '[' || c == '(' || c == '{') {
		p->i++;
		if (c == '(') {
			v = parens(p);
		} else if (c == '{') {
			v = braces(p);
		} else {
			out = json_array();
			if (items(p, ']', out, false, &commas))
				v = out;
			else
				json_decref(out);
		}
	} else if (isalpha((unsigned char)c) || c == '_') {
		for (n = 0; ident_char(p->s[p->i + n]); n++)
			;
		for (i = 0; i < ARRAY_LEN(names); i++)
			if (strlen(names[i].name) == n &&
			    memcmp(p->s + p->i, names[i].name, n) == 0)
				break;
		if (i == ARRAY_LEN(names)) {
			p->depth--;
			return fail(p,
			    "a name that is not True, False or None "
			    "(only literals are read)");
		}
		p->i += n;
		v = names[i].make();
	} else {
		v = fail(p,
		    c == '\0' ? "a value expected, the text ended"
			      : "a value expected");
	}
	p->depth--;
	return v;
}

int
pylit_parse(const char *s, json_t **out, char *why, size_t whylen)
{
	struct pyp p = { .s = s, .why = why, .whylen = whylen };
	json_t *v;

	*out = NULL;
	if (whylen > 0)
		why[0] = '\0';
	if (s == NULL) {
		fail(&p, "no text");
		return -1;
	}
	if (strlen(s) > PYLIT_TEXT_MAX) {
		fail(&p, "the text is too long");
		return -1;
	}
	if ((v = value(&p)) == NULL)
		return -1;
	blanks(&p);
	if (s[p.i] != '\0') {
		json_decref(v);
		fail(&p, "text after the literal");
		return -1;
	}
	*out = v;
	return 0;
}
