/*
 * SHA-256 with libcrypto's EVP interface; see sha256.h. libcrypto picks
 * the CPU's SHA instructions where there are some. Its failures here can
 * only be out of memory or a broken OpenSSL install (no SHA-256 at all):
 * both abort, as allocation failures do everywhere in upkeep.
 */
#include "util/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

static void sha256_check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "upkeep: libcrypto: %s failed\n", what);
		abort();
	}
}

void sha256_init(struct sha256 *s)
{
	s->ctx = EVP_MD_CTX_new();
	sha256_check(s->ctx != NULL, "EVP_MD_CTX_new");
	sha256_check(EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL),
		     "EVP_DigestInit_ex(sha256)");
	s->len = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	sha256_check(EVP_DigestUpdate(s->ctx, data, n), "EVP_DigestUpdate");
	s->len += n;
}

void sha256_hex(struct sha256 *s, char hex[SHA256_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	sha256_check(EVP_DigestFinal_ex(s->ctx, md, &n) && n == 32,
		     "EVP_DigestFinal_ex");
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	sha256_discard(s);
}

void sha256_discard(struct sha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

void sha256_hex_of(const void *data, size_t n, char hex[SHA256_HEX_SIZE])
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, data, n);
	sha256_hex(&s, hex);
}
