/*
 * libcrypto, loaded when first needed (see util/lazylib.h): sha256_lib
 * and one stub per libcrypto function sha256.c calls. Only snapshots
 * and registry digests hash; nothing else needs OpenSSL at start.
 */
#include "util/sha256.h"

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "util/lazylib.h"

struct lazylib sha256_lib = {
	.soname = "libcrypto.so." LAZYLIB_STR(OPENSSL_VERSION_MAJOR),
	.package = "libssl" LAZYLIB_STR(OPENSSL_VERSION_MAJOR),
	.needed_for = "snapshot and registry checksums (SHA-256)",
};

#define EVP_FN(ret, name, params, args) \
	LAZYLIB_FN(sha256_lib, ret, name, params, args)
#define EVP_FNV(name, params, args) \
	LAZYLIB_VOID(sha256_lib, name, params, args)

EVP_FN(int, EVP_DigestFinal_ex, (EVP_MD_CTX *a, unsigned char *b,
	unsigned int *c), (a, b, c))
EVP_FN(int, EVP_DigestInit_ex, (EVP_MD_CTX *a, const EVP_MD *b, ENGINE *c), (a,
	b, c))
EVP_FN(int, EVP_DigestUpdate, (EVP_MD_CTX *a, const void *b, size_t c), (a, b,
	c))
EVP_FNV(EVP_MD_CTX_free, (EVP_MD_CTX *a), (a))
EVP_FN(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
EVP_FN(const EVP_MD *, EVP_sha256, (void), ())
