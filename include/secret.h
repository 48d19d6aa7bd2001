/*
 * secret.h -- password hashing (PBKDF2-HMAC-SHA256 with a per-secret salt)
 * and token digests, through GnuTLS. No store access.
 */
#ifndef SECRET_H
#define SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SECRET_SALT_LEN   16
#define SECRET_HASH_LEN   32
#define SECRET_DIGEST_LEN 32 /* SHA-256 */

/*
 * *out: new reference to {"alg": "pbkdf2-sha256", "iter": n, "salt": hex,
 * "hash": hex} for password, with a fresh random salt. Returns 0 or -1.
 */
int secret_hash_password(const char *password, unsigned iter, json_t **out);

/* true if password matches rec (as made above); constant time. */
bool secret_check_password(const json_t *rec, const char *password);

/* SHA-256 of s: what the store keeps instead of a token. */
void secret_digest(const char *s, size_t n,
    unsigned char out[SECRET_DIGEST_LEN]);

/* Write n random bytes as 2n lowercase hex digits and a NUL. */
void secret_random_hex(char *out, size_t n);

#endif /* SECRET_H */
