/*
 * tables.h -- the store's data: every table, its file, and how secondary
 * keys are derived. Keys are NUL-separated composites so that a prefix
 * "a\0" selects everything under a. Values are compact JSON objects.
 */
#ifndef TABLES_H
#define TABLES_H

#include <stdbool.h>
#include <stddef.h>

#include <db.h>

enum tbl_id {
	TBL_META,              /* name -> {...}: schema version, bootstrap */
	TBL_ACCOUNTS,          /* account -> account record */
	TBL_ACCOUNTS_BY_TYPE,  /* secondary: account_type */
	TBL_ACCOUNTS_BY_EMAIL, /* secondary: email */
	TBL_ACCOUNT_ATTRS,     /* account \0 key -> {"value": ...} */
	TBL_IDENTITIES,        /* TYPE \0 identity -> identity record */
	TBL_IDMAP, /* TYPE \0 identity \0 account -> {"is_default"} */
	TBL_IDMAP_BY_ACCOUNT,  /* secondary: account */
	TBL_TOKENS,            /* SHA-256 of the token -> token record */
	TBL_TOKENS_BY_ACCOUNT, /* secondary: account */
	TBL_TOKENS_BY_CODE, /* secondary: the OAuth2 code a token came from */
	TBL_OAUTH_CLIENTS,  /* client_id -> {"name","redirect_uri",...} */
	TBL_OAUTH_CODES,    /* SHA-256 of a code -> the grant it stands for */
	TBL_SCOPES,         /* scope -> {"scope","account","status",...} */
	TBL_SCOPES_BY_ACCOUNT, /* secondary: account */
	TBL_RSES,              /* RSE name -> RSE record (deleted ones too) */
	TBL_RSES_BY_ID,        /* secondary: the RSE's id */
	TBL_RSE_ATTRS,         /* RSE \0 key -> {"value": ...} */
	TBL_RSE_ATTRS_BY_KEY,  /* secondary: the attribute's key */
	TBL_RSE_PROTOCOLS,   /* RSE id \0 scheme \0 host \0 port -> protocol */
	TBL_RSE_LIMITS,      /* RSE id \0 name -> {"value"} (MinFreeSpace...) */
	TBL_RSE_DISTANCES,   /* source id \0 destination id -> {"distance"} */
	TBL_ACCOUNT_LIMITS,  /* account \0 RSE id -> {"bytes"} */
	TBL_ACCOUNT_GLIMITS, /* account \0 RSE expression -> {"bytes"} */
	TBL_DIDS,            /* scope \0 name -> DID record (did.h) */
	TBL_DIDS_BY_GUID,    /* secondary: a file's guid */
	TBL_DIDS_BY_META,    /* secondary: scope \0 key \0 value, see didx_ */
	TBL_DIDS_BY_EXPIRY,  /* secondary: expired_at (didx_num), if set */
	TBL_CONTENTS, /* parent scope \0 name \0 child scope \0 name -> child */
	TBL_CONTENTS_BY_CHILD, /* secondary: child scope \0 name */
	TBL_CONTENTS_HIST,   /* the same key -> the detached child, "deleted_at"
			      */
	TBL_META_KEYS,       /* metadata key -> its convention (metaconv.h) */
	TBL_META_VALUES,     /* key \0 allowed value -> {"created_at"} */
	TBL_REPLICAS,        /* scope \0 name \0 RSE id -> replica record */
	TBL_REPLICAS_BY_RSE, /* secondary: RSE id \0 scope \0 name */
	TBL_REPLICAS_BY_PATH, /* secondary: RSE id \0 stored path */
	TBL_RSE_USAGE,        /* RSE id \0 source -> {"used","free","files"} */
	TBL_RSE_USAGE_HIST,   /* RSE id \0 source \0 hour -> the same */
	TBL_ACCOUNT_USAGE,    /* account \0 RSE id -> {"bytes","files"} */
	TBL_ACCOUNT_USAGE_BY_RSE, /* secondary: RSE id */
	/* account usage (acct branch) */
	TBL_ACCOUNT_USAGE_HIST,    /* account \0 RSE id \0 hour -> the same */
	TBL_ACCOUNT_LIMITS_BY_RSE, /* secondary of TBL_ACCOUNT_LIMITS: RSE id */
	/* the DIRAC file catalogue (catalog.h) */
	TBL_FC_DIRS,           /* LFN of a directory -> directory record */
	TBL_FC_DIRS_BY_PARENT, /* secondary: the parent directory's LFN */
	TBL_FC_DIRS_BY_META,   /* secondary: field \0 tag value, see fcx_ */
	TBL_FC_FILES,          /* directory LFN \0 basename -> file record */
	TBL_FC_FIELDS,         /* 'd'|'f' \0 field -> {"type"} */
	/* --- workload: the DRM and the jobs family --- */
	TBL_DRM,           /* DRM id (16 digits) -> DRM job record (drm.h) */
	TBL_DRM_BY_STATE,  /* secondary: backend \0 state, active jobs only */
	TBL_JOBS,          /* jid (10 digits) -> DIRAC job record (job.h) */
	TBL_JOBS_BY_OWNER, /* secondary: the job's owner */
	/* --- tasks: DRMAA scripts and tasks --- */
	TBL_SCRIPTS,        /* script name -> script record (script.h) */
	TBL_TASKS,          /* task uuid -> task record (task.h) */
	TBL_TASKS_BY_OWNER, /* secondary: owner \0 age (newest first) */
	TBL_TASKS_BY_AGE,   /* secondary: age, for admins' lists */
	/* --- the undertaker's archive --- */
	TBL_DELETED_DIDS, /* scope \0 name -> the record, with "deleted_at" */
	TBL_SEQS,         /* counter name -> {"next"} (st_seq_take) */
	TBL_DIDS_TOP, /* scope \0 name -> {}: no DID of the scope holds it */
	/* --- subscriptions (subscription.h) --- */
	TBL_SUBSCRIPTIONS,         /* account \0 name -> subscription record */
	TBL_SUBSCRIPTIONS_BY_ID,   /* secondary: its id */
	TBL_SUBSCRIPTIONS_BY_NAME, /* secondary: its name */
	/* --- replication rules (rule.h) --- */
	TBL_RULES,            /* rule id (32 hex) -> rule record */
	TBL_RULES_BY_DID,     /* secondary: scope \0 name */
	TBL_RULES_BY_ACCOUNT, /* secondary: account */
	TBL_RULES_BY_STATE,   /* secondary: state letter */
	TBL_RULES_BY_EXPIRY,  /* secondary: expires_at (didx_num), if set */
	TBL_RULES_BY_SUBSCRIPTION, /* secondary: subscription_id, if set */
	TBL_LOCKS, /* rule id \0 scope \0 name \0 RSE id -> replica lock */
	TBL_LOCKS_BY_REPLICA, /* secondary: scope \0 name \0 RSE id */
	TBL_LOCKS_BY_RSE,     /* secondary: RSE id */
	TBL_DATASET_LOCKS,    /* rule id \0 scope \0 name \0 RSE id -> lock */
	TBL_DATASET_LOCKS_BY_DID, /* secondary: scope \0 name */
	TBL_DATASET_LOCKS_BY_RSE, /* secondary: RSE id */
	TBL_RULE_HISTORY,         /* rule id \0 hex time \0 pid, seq -> entry */
	TBL_RULE_HISTORY_BY_DID,  /* secondary: scope \0 name */
	TBL_REQUESTS, /* scope \0 name \0 destination RSE id -> request */
	TBL_REQUESTS_BY_STATE, /* secondary: state letter */
	TBL_REQUESTS_HISTORY,  /* scope \0 name \0 destination RSE id \0 16
				  hex of the end's time + request id -> the
				  request as it ended (request.h) */
	/* --- the reaper (reaper.h) --- */
	TBL_REPLICAS_BY_TOMBSTONE, /* secondary of TBL_REPLICAS: RSE id \0
				      tombstone (8 bytes, big-endian), only
				      replicas no lock holds */
	/* --- messages (message.h) --- */
	TBL_MESSAGES, /* 16 hex of a sequence -> {"event_type","payload",...} */
	TBL_COUNT
};

typedef int (
    *tbl_extract_fn)(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey);

struct tbl_def {
	const char *file;       /* file in the environment's home */
	int primary;            /* enum tbl_id of the primary, or -1 */
	tbl_extract_fn extract; /* secondary key extractor, or NULL */
};

/* Indexed by enum tbl_id. */
extern const struct tbl_def tbl_defs[TBL_COUNT];

/*
 * Schema version written by "gridrest-db init"; checked at open. init
 * brings an older store up to date (store_schema.c, migrations): 2 files each
 * collection once in dids.meta.idx (didx_coll_key), where 1 filed its
 * type, is_new and created_at apart; 3 keeps the top-level DIDs of each
 * scope in dids.top.db, filled from the DIDs and contents by init; 4
 * adds the replication rules' tables (rules, locks, dataset locks, rule
 * history, requests), made empty by init; 5 keeps the ended transfer
 * requests (requests_history.db), made empty by init; 6 indexes the replicas
 * the reaper may delete (replicas.tombstone.idx), built from the
 * replicas by init; 7 keeps the rules' notifications (messages.db), made
 * empty by init.
 */
#define TBL_SCHEMA_VERSION 7

/* Longest composite key the store builds. */
#define KEY_MAX 1024

/*
 * Join the NULL-terminated string arguments with NUL separators into buf.
 * Returns the key length (no trailing NUL), or 0 if it does not fit.
 */
size_t key_join(char *buf, size_t size, ...) __attribute__((sentinel));

/*
 * Part i (0-based) of a NUL-separated key of length n: sets *len and
 * returns a pointer into key, or NULL if there is no such part.
 */
const char *key_part(const void *key, size_t n, int i, size_t *len);

/*
 * Parts i and i+1 of a key (a scope and a name, in the composites that
 * hold DIDs) as malloc'ed strings; false (nothing allocated) if absent.
 */
bool key_did(const void *key, size_t n, int i, char **scope, char **name);

/*
 * TBL_DIDS_BY_META, the search index of DIDs: one entry per searchable
 * value of a DID, "scope \0 key \0 <tag><value>", so that equality, range
 * and prefix searches on a key within a scope are key ranges. Each
 * collection has one entry for its newness, type and creation together
 * (didx_coll_key: one insert per new collection where three were, a third
 * of bulk creation's cost); files have none (they are found by their
 * scope). The other keys are the dates "closed_at" and "eol_at"
 * (collections only: a million files registered would pay for an entry
 * each that searches by date rarely use), "length" and the metadata
 * columns
 * (didx_fields), and every custom key of the record's "meta". A value is
 * filed under each form a search may compare it as:
 *   a string   's' + bytes; also 'n' if it reads as a number, 'd' if as a
 *              date (date_parse);
 *   a number   'n' + order-preserving 8 bytes; also 's' + its text;
 *   a boolean  'b' + 0 or 1; also 's' + "true"/"false";
 *   a date column  'd' + the epoch seconds, as a number.
 * Strings are cut at DIDX_STR_MAX bytes, so an entry is a superset hint and
 * the search always checks the record itself.
 */
#define DIDX_NUM       'n'
#define DIDX_DATE      'd'
#define DIDX_STR       's'
#define DIDX_BOOL      'b'
#define DIDX_COLL      'c'
#define DIDX_DATASET   'D'
#define DIDX_CONTAINER 'C'
#define DIDX_STR_MAX   128

/* The record fields filed under their own name (besides "meta"). */
extern const char *const didx_fields[];

/* The 8 order-preserving bytes of a finite number (-0 as 0). */
void didx_num(double d, unsigned char out[8]);

/* A whole string as a finite number (as a search casts it). */
bool didx_str_num(const char *s, double *out);

/*
 * The text of a JSON number as a search compares it with a string
 * ("5", "1.5"): the shortest form that reads back the same. out holds 32.
 */
void didx_num_text(double d, bool integer, long long i, char out[32]);

/*
 * The index key scope \0 key \0 tag value[0..vlen) (strings cut at
 * DIDX_STR_MAX) into buf (KEY_MAX); its length, 0 if it does not fit.
 */
size_t didx_key(char *buf, const char *scope, const char *key, char tag,
    const void *val, size_t vlen);

/*
 * A collection's entry, "scope \0 did_type \0 c" + N T C: N '1' while
 * it is new (is_new not false) else '0', T DIDX_DATASET or
 * DIDX_CONTAINER, C the didx_num() bytes of created_at; with created
 * NULL only the head up to T, for a prefix. Into buf (KEY_MAX); its
 * length, 0 if it does not fit.
 */
size_t didx_coll_key(char *buf, const char *scope, bool is_new, char type,
    const unsigned char created[8]);

/*
 * The file catalogue's extractors (db/fc_index.c). TBL_FC_DIRS_BY_META
 * files each metadata value a directory sets itself as "field \0 tag
 * value": numbers as DIDX_NUM + didx_num(), strings (and dates, kept as
 * "YYYY-MM-DD HH:MM:SS", which sort in time order) as DIDX_STR + bytes.
 */
int fcx_dirs_by_parent(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey);
int fcx_dirs_by_meta(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey);

#endif /* TABLES_H */
