/*
 * script.h -- DRMAA scripts (DRMAAtic's Script, Parameter and job
 * template): what administrators publish and users submit as tasks.
 *
 * A script record (TBL_SCRIPTS, key: its name) is the admin view:
 *   {name, command, job: {cpus, mem_mb, queue}, max_clock_time (seconds),
 *    is_array, begin_index, end_index, step_index, groups: [name...],
 *    is_output_visible, hidden, param: [{name, type, flag, position,
 *    default, description, private, required}]}
 * type: int float string bool file. flag: "" (positional), "-n", "--x"
 * (flag then value) or "--x=" (one argument). A script with no groups is
 * public; one with groups is seen by admins and by accounts holding the
 * attribute "group.<name>" (or a token of that OAuth2 group); a hidden
 * one by admins only. Scripts a caller may not see are ScriptNotFound.
 */
#ifndef SCRIPT_H
#define SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "store.h"

#define SCRIPT_NAME_MAX    64    /* bytes of a script or parameter name */
#define SCRIPT_PARAMS_MAX  64    /* parameters of a script */
#define SCRIPT_GROUPS_MAX  32    /* groups of a script */
#define SCRIPT_DEFAULT_MAX 1000  /* bytes of a default value */
#define SCRIPT_DESC_MAX    300   /* bytes of a description */
#define SCRIPT_PAGE_SIZE   10    /* page_size when not given */
#define SCRIPT_PAGE_MAX    1000  /* the server's cap on page_size */
#define SCRIPT_CLOCK_DFLT  10800 /* max_clock_time when not given (3 h) */

/*
 * Validate an admin's description of a script (borrowed) and give its
 * record (*out, new reference) with every member filled in. name, when
 * not NULL, is the name from the URL and must match the body's if any.
 */
int script_check(const json_t *in, const char *name, json_t **out,
    struct gr_err *err);

/* Create (Duplicate if it exists) or replace (ScriptNotFound if it does
   not) a script. Admins only. *out: new reference, the admin view. */
int script_put(const char *issuer, const char *name, const json_t *body,
    bool create, json_t **out, struct gr_err *err);

/* Delete a script (its tasks keep their records). Admins only. */
int script_del(const char *issuer, const char *name, struct gr_err *err);

/* One script as the caller may see it (admins: the whole record). */
int script_get(const char *issuer, const char *group, const char *name,
    json_t **out, struct gr_err *err);

/*
 * The page (1-based) of the scripts the caller may see, in name order:
 * *results a new array, *count how many there are in all. A page past
 * the last is NotFound "Invalid page." (page 1 always exists).
 */
int script_list(const char *issuer, const char *group, long page,
    long page_size, json_t **results, size_t *count, struct gr_err *err);

/*
 * Inside a transaction: the record of a script the caller may see
 * (*out, new reference), and whether the caller is an admin.
 */
int script_load_txn(struct st_txn *t, const char *issuer, const char *group,
    const char *name, json_t **out, bool *admin, struct gr_err *err);

/* The view of a record: the whole of it for admins; else without the
   command, template, groups and the private parameters. New reference. */
json_t *script_view(const json_t *s, bool admin);

/*
 * Is value[0..len) a value of the parameter's type? int: a decimal
 * integer; float: a finite number; bool: true/false/1/0/yes/no (any case;
 * *truth tells which); string: UTF-8; file: never (files are uploads).
 * TypeError "The value for the X parameter has to be of type T".
 */
int script_value_ok(const json_t *param, const char *value, size_t len,
    bool *truth, struct gr_err *err);

/* "HH:MM" of a number of seconds (rounded up to a minute). */
void script_clock(long seconds, char out[32]);

#endif /* SCRIPT_H */
