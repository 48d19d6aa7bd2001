/*
 * secret.c -- PBKDF2 password hashes and SHA-256 token digests (GnuTLS).
 * Plain passwords and tokens live only in request memory; what is stored
 * can neither be replayed nor reversed.
 */
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "secret.h"
#include "util.h"

static int
pbkdf2(const char *password, const unsigned char *salt, size_t salt_len,
    unsigned iter, unsigned char out[SECRET_HASH_LEN])
{
	gnutls_datum_t key, s;

	key.data = (unsigned char *)(uintptr_t)password;
	key.size = (unsigned)strlen(password);
	s.data = (unsigned char *)(uintptr_t)salt;
	s.size = (unsigned)salt_len;
	return gnutls_pbkdf2(GNUTLS_MAC_SHA256, &key, &s, iter, out,
	    SECRET_HASH_LEN);
}

int
secret_hash_password(const char *password, unsigned iter, json_t **out)
{
	unsigned char salt[SECRET_SALT_LEN], hash[SECRET_HASH_LEN];
	char salt_hex[2 * SECRET_SALT_LEN + 1],
	    hash_hex[2 * SECRET_HASH_LEN + 1];

	*out = NULL;
	random_bytes(salt, sizeof(salt));
	if (pbkdf2(password, salt, sizeof(salt), iter, hash) != 0)
		return -1;
	hex_encode(salt, sizeof(salt), salt_hex);
	hex_encode(hash, sizeof(hash), hash_hex);
	mem_wipe(hash, sizeof(hash));
	*out = json_pack("{s:s, s:i, s:s, s:s}", "alg", "pbkdf2-sha256", "iter",
	    (json_int_t)iter, "salt", salt_hex, "hash", hash_hex);
	mem_wipe(hash_hex, sizeof(hash_hex));
	return *out != NULL ? 0 : -1;
}

static int
hex_decode(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

bool
secret_check_password(const json_t *rec, const char *password)
{
	unsigned char salt[SECRET_SALT_LEN], want[SECRET_HASH_LEN];
	unsigned char got[SECRET_HASH_LEN];
	const char *alg;
	json_int_t iter;
	bool ok;

	alg = json_string_value(json_object_get(rec, "alg"));
	iter = json_integer_value(json_object_get(rec, "iter"));
	if (alg == NULL || strcmp(alg, "pbkdf2-sha256") != 0 || iter < 1 ||
	    iter > 100000000 ||
	    hex_decode(json_string_value(json_object_get(rec, "salt")), salt,
		sizeof(salt)) != 0 ||
	    hex_decode(json_string_value(json_object_get(rec, "hash")), want,
		sizeof(want)) != 0)
		return false;
	if (pbkdf2(password, salt, sizeof(salt), (unsigned)iter, got) != 0)
		return false;
	ok = mem_ct_cmp(got, want, sizeof(got)) == 0;
	mem_wipe(got, sizeof(got));
	return ok;
}

void
secret_digest(const char *s, size_t n, unsigned char out[SECRET_DIGEST_LEN])
{
	(void)gnutls_hash_fast(GNUTLS_DIG_SHA256, s, n, out);
}

void
secret_random_hex(char *out, size_t n)
{
	unsigned char buf[64];

	while (n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		random_bytes(buf, k);
		hex_encode(buf, k, out);
		out += 2 * k;
		n -= k;
	}
}
