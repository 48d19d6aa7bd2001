/*
 * exchange.c -- the token exchange. Never trusts a token the provider did
 * not confirm: the answer must be 200 with a JSON object whose "email" is a
 * string and whose "email_verified" is JSON true (DRMAAtic's hole, spec
 * B.2, was to accept any 2xx of a public endpoint).
 */
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "account.h"
#include "cfg.h"
#include "exchange.h"
#include "log.h"
#include "util.h"
#include "valid.h"

struct answer {
	char *buf;
	size_t len;
	bool too_big;
};

static size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;

	if (a->len + len > EXCHANGE_ANSWER_MAX) {
		a->too_big = true;
		return 0; /* ends the transfer */
	}
	a->buf = xrealloc(a->buf, a->len + len + 1);
	memcpy(a->buf + a->len, data, len);
	a->len += len;
	a->buf[a->len] = '\0';
	return len;
}

/* The provider's userinfo for ext_token: *out, a new reference. */
static int
userinfo(const char *ext_token, json_t **out, struct gr_err *err)
{
	static bool initialised;
	struct answer a = { NULL, 0, false };
	struct curl_slist *hdrs = NULL;
	char *auth = NULL;
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int rc = GR_OK;

	*out = NULL;
	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return gr_fail(err, GR_UNAVAILABLE,
			    "libcurl cannot start");
		initialised = true;
	}
	if ((c = curl_easy_init()) == NULL)
		return gr_fail(err, GR_UNAVAILABLE, "libcurl cannot start");
	auth = xmalloc(strlen(ext_token) + 32);
	memcpy(auth, "Authorization: Bearer ", 22);
	memcpy(auth + 22, ext_token, strlen(ext_token) + 1);
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, cfg.exchange_url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)cfg.exchange_timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)cfg.exchange_timeout);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg.exchange_ca != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg.exchange_ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gridrest/" GRIDREST_VERSION);
	cc = curl_easy_perform(c);
	(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (a.too_big) {
		rc = gr_fail(err, GR_UNAVAILABLE,
		    "the provider's answer is over %d bytes",
		    EXCHANGE_ANSWER_MAX);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		rc = gr_fail(err, GR_UNAVAILABLE,
		    "the provider did not answer within %u s",
		    cfg.exchange_timeout);
	} else if (cc != CURLE_OK) {
		log_msg(LOG_WARN, "token exchange: %s: %s", cfg.exchange_url,
		    curl_easy_strerror(cc));
		rc = gr_fail(err, GR_UNAVAILABLE,
		    "the provider cannot be reached: %s",
		    curl_easy_strerror(cc));
	} else if (status == 401 || status == 403) {
		rc = gr_fail(err, GR_FORBIDDEN,
		    "the provider does not accept this token");
	} else if (status != 200) {
		rc = gr_fail(err, GR_UNAVAILABLE,
		    "the provider answered HTTP %ld", status);
	} else if (a.buf == NULL ||
	    (*out = json_loadb(a.buf, a.len, 0, NULL)) == NULL ||
	    !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		rc = gr_fail(err, GR_UNAVAILABLE,
		    "the provider's answer is not a JSON object");
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	mem_wipe(auth, strlen(auth));
	free(auth);
	free(a.buf);
	return rc;
}

int
exchange_token(const char *username, const char *ext_token,
    char token[TOKEN_MAX], int64_t *expires_at, struct gr_err *err)
{
	json_t *info = NULL, *acc = NULL;
	const char *email, *mine, *status;
	size_t i, n;
	int rc;

	token[0] = '\0';
	/* DRMAAtic answers a missing token as any failed exchange: 403 */
	if (ext_token == NULL || (n = strlen(ext_token)) == 0)
		return gr_fail(err, GR_FORBIDDEN,
		    "Could not authenticate user: send the provider's token "
		    "as Authorization: Bearer");
	for (i = 0; i < n; i++)
		if ((unsigned char)ext_token[i] <= 0x20 ||
		    (unsigned char)ext_token[i] >= 0x7f)
			break;
	if (i < n || n > EXCHANGE_TOKEN_MAX)
		return gr_fail(err, GR_FORBIDDEN,
		    "the provider's token is malformed");
	if (!valid_account(username))
		return gr_fail(err, GR_FORBIDDEN,
		    "Could not authenticate user: no account '%.40s'",
		    username);
	if (cfg.exchange_url == NULL)
		return gr_fail(err, GR_UNAVAILABLE,
		    "no provider is configured (GRIDREST_EXCHANGE_USERINFO)");
	if ((rc = userinfo(ext_token, &info, err)) != GR_OK)
		return rc;
	email = json_string_value(json_object_get(info, "email"));
	if (email == NULL ||
	    !json_is_true(json_object_get(info, "email_verified"))) {
		rc = gr_fail(err, GR_FORBIDDEN,
		    "the provider did not confirm an email for this token");
		goto out;
	}
	if (account_get(username, &acc, err) != GR_OK) {
		gr_clear(err);
		rc = gr_fail(err, GR_FORBIDDEN,
		    "Could not authenticate user: no account '%s'", username);
		goto out;
	}
	mine = json_string_value(json_object_get(acc, "email"));
	status = json_string_value(json_object_get(acc, "status"));
	if (mine == NULL || strcasecmp(mine, email) != 0 || status == NULL ||
	    strcmp(status, "ACTIVE") != 0) {
		rc = gr_fail(err, GR_FORBIDDEN,
		    "Could not authenticate user: the provider's email is not "
		    "account '%s''s",
		    username);
		goto out;
	}
	rc = token_issue(username, email, "exchange", cfg.token_lifetime, token,
	    expires_at, err);
out:
	json_decref(acc);
	json_decref(info);
	return rc;
}
