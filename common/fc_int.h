/*
 * fc_int.h -- what the file catalogue's two core files share (catalog.c:
 * the tree and its records; fcsearch.c: conditions and searches). Not a
 * public header.
 */
#ifndef FC_INT_H
#define FC_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "catalog.h"
#include "store.h"

enum fc_type { FC_T_INT, FC_T_FLOAT, FC_T_STR, FC_T_DATE };

#define FC_DATE_LEN 20 /* "YYYY-MM-DD HH:MM:SS" + NUL */

/* DIRAC's name of a type ("int", "varchar(128)", ...). */
const char *fc_type_name(enum fc_type type);

/* Inside a transaction: the type of field name of kind 'd' or 'f';
   400 InvalidMetadata for an unknown field. */
int fc_field_type(struct st_txn *t, char kind, const char *name,
    enum fc_type *type, struct gr_err *err);

/*
 * in (a JSON value, or a condition's string) as a value of a field of
 * type: *out a new reference (ints integer, floats real, strings, dates
 * "YYYY-MM-DD HH:MM:SS"). 400 InvalidValueForKey naming the field.
 */
int fc_value(enum fc_type type, const char *field, const json_t *in,
    json_t **out, struct gr_err *err);

/* Order of two values of one type (fc_value's forms). */
int fc_cmp(enum fc_type type, const json_t *a, const json_t *b);

/*
 * Inside a transaction: *rec, a new reference to the directory record of
 * path (the root's default when it was never stored); NotFound otherwise.
 */
int fc_dir_load(struct st_txn *t, const char *path, u_int32_t flags,
    json_t **rec, struct gr_err *err);

/*
 * Inside a transaction: *eff, a new object of the metadata path sees
 * (its own over its ancestors'), and *rec its record (may be NULL).
 */
int fc_dir_eff(struct st_txn *t, const char *path, json_t **eff, json_t **rec,
    struct gr_err *err);

/* The parent of a normalised path into out (FC_PATH_MAX + 1); false for
   "/". */
bool fc_parent(const char *path, char *out);

/* Is path strictly below dir? */
bool fc_below(const char *dir, const char *path);

#endif /* FC_INT_H */
