/*
 * tables.c -- the table list and secondary-key extractors. Extractors run
 * inside Berkeley DB on every write to a primary; they never call BDB,
 * return DB_DONOTINDEX when the field is absent, and either point into the
 * primary record or hand BDB a malloc'ed key (DB_DBT_APPMALLOC).
 */
#include <stdarg.h>
#include <string.h>

#include <jansson.h>

#include "tables.h"
#include "util.h"

size_t
key_join(char *buf, size_t size, ...)
{
	va_list ap;
	const char *s;
	size_t len = 0, n;
	int first = 1;

	va_start(ap, size);
	while ((s = va_arg(ap, const char *)) != NULL) {
		n = strlen(s);
		if (!first) {
			if (len + 1 > size) {
				len = 0;
				break;
			}
			buf[len++] = '\0';
		}
		if (n > size - len) {
			len = 0;
			break;
		}
		memcpy(buf + len, s, n);
		len += n;
		first = 0;
	}
	va_end(ap);
	return len;
}

const char *
key_part(const void *key, size_t n, int i, size_t *len)
{
	const char *p = key, *end = p + n, *q;

	for (; i > 0; i--) {
		q = memchr(p, '\0', (size_t)(end - p));
		if (q == NULL)
			return NULL;
		p = q + 1;
	}
	q = memchr(p, '\0', (size_t)(end - p));
	*len = (size_t)((q != NULL ? q : end) - p);
	return p;
}

/* The string field name of a JSON record, as a malloc'ed secondary key. */
static int
extract_field(const DBT *pdata, const char *name, DBT *skey)
{
	json_t *rec, *v;
	const char *s;

	rec = json_loadb(pdata->data, pdata->size, 0, NULL);
	v = json_object_get(rec, name);
	if ((s = json_string_value(v)) == NULL || *s == '\0') {
		json_decref(rec);
		return DB_DONOTINDEX;
	}
	memset(skey, 0, sizeof(*skey));
	skey->size = (u_int32_t)json_string_length(v);
	skey->data = xstrndup(s, skey->size);
	skey->flags = DB_DBT_APPMALLOC;
	json_decref(rec);
	return 0;
}

/* The key is the second part of RSE \0 key. */
/* A secondary key that is a string field of the record. */
#define FIELD_INDEX(fn, field)                                                 \
	static int fn(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)   \
	{                                                                      \
		(void)sec;                                                     \
		(void)pkey;                                                    \
		return extract_field(pdata, field, skey);                      \
	}

FIELD_INDEX(tokens_by_code, "code")
FIELD_INDEX(rses_by_id, "id")
FIELD_INDEX(scopes_by_account, "account")
FIELD_INDEX(accounts_by_type, "account_type")
FIELD_INDEX(accounts_by_email, "email")
FIELD_INDEX(tokens_by_account, "account")

/* A secondary key that is part i of the NUL-separated primary key. */
static int
extract_part(const DBT *pkey, int i, DBT *skey)
{
	const char *p;
	size_t len;

	p = key_part(pkey->data, pkey->size, i, &len);
	if (p == NULL || len == 0)
		return DB_DONOTINDEX;
	memset(skey, 0, sizeof(*skey));
	skey->data = (void *)(uintptr_t)p;
	skey->size = (u_int32_t)len;
	return 0;
}

static int
rse_attrs_by_key(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_part(pkey, 1, skey);
}

/* The account is the third part of TYPE \0 identity \0 account. */
static int
idmap_by_account(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	(void)sec;
	(void)pdata;
	return extract_part(pkey, 2, skey);
}

/* clang-format off */
const struct tbl_def tbl_defs[TBL_COUNT] = {
	[TBL_META]		= { "meta.db",			-1,		NULL },
	[TBL_ACCOUNTS]		= { "accounts.db",		-1,		NULL },
	[TBL_ACCOUNTS_BY_TYPE]	= { "accounts.type.idx",	TBL_ACCOUNTS,	accounts_by_type },
	[TBL_ACCOUNTS_BY_EMAIL]	= { "accounts.email.idx",	TBL_ACCOUNTS,	accounts_by_email },
	[TBL_ACCOUNT_ATTRS]	= { "account_attrs.db",		-1,		NULL },
	[TBL_IDENTITIES]	= { "identities.db",		-1,		NULL },
	[TBL_IDMAP]		= { "idmap.db",			-1,		NULL },
	[TBL_IDMAP_BY_ACCOUNT]	= { "idmap.account.idx",	TBL_IDMAP,	idmap_by_account },
	[TBL_TOKENS]		= { "tokens.db",		-1,		NULL },
	[TBL_TOKENS_BY_ACCOUNT]	= { "tokens.account.idx",	TBL_TOKENS,	tokens_by_account },
	[TBL_TOKENS_BY_CODE]	= { "tokens.code.idx",		TBL_TOKENS,	tokens_by_code },
	[TBL_OAUTH_CLIENTS]	= { "oauth_clients.db",		-1,		NULL },
	[TBL_OAUTH_CODES]	= { "oauth_codes.db",		-1,		NULL },
	[TBL_SCOPES]		= { "scopes.db",		-1,		NULL },
	[TBL_SCOPES_BY_ACCOUNT]	= { "scopes.account.idx",	TBL_SCOPES,	scopes_by_account },
	[TBL_RSES]		= { "rses.db",			-1,		NULL },
	[TBL_RSES_BY_ID]	= { "rses.id.idx",		TBL_RSES,	rses_by_id },
	[TBL_RSE_ATTRS]		= { "rse_attrs.db",		-1,		NULL },
	[TBL_RSE_ATTRS_BY_KEY]	= { "rse_attrs.key.idx",	TBL_RSE_ATTRS,	rse_attrs_by_key },
	[TBL_RSE_PROTOCOLS]	= { "rse_protocols.db",		-1,		NULL },
	[TBL_RSE_LIMITS]	= { "rse_limits.db",		-1,		NULL },
	[TBL_ACCOUNT_LIMITS]	= { "account_limits.db",	-1,		NULL },
	[TBL_ACCOUNT_GLIMITS]	= { "account_glimits.db",	-1,		NULL },
};
/* clang-format on */
