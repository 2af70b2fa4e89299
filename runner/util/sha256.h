/*
 * SHA-256 through OpenSSL's libcrypto (EVP), streamed: the snapshot
 * step fingerprints its artifacts as it reads them, the snapshot store
 * checks them, the registry client names a manifest by its digest. Not a
 * general crypto API: one digest, in lowercase hex.
 */
#ifndef UPKEEP_UTIL_SHA256_H
#define UPKEEP_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* 64 hex digits and a NUL. */
#define SHA256_HEX_SIZE 65

struct evp_md_ctx_st;

/* A hash in progress: sha256_init, any sha256_update, then sha256_hex
 * (or sha256_discard to give up). */
struct sha256 {
	struct evp_md_ctx_st *ctx;	/* libcrypto's EVP_MD_CTX */
	uint64_t len;			/* bytes hashed so far */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t n);
/* Finishes, writes the digest as lowercase hex and frees the state. */
void sha256_hex(struct sha256 *s, char hex[SHA256_HEX_SIZE]);
/* Frees the state of a hash that will not be finished. */
void sha256_discard(struct sha256 *s);

/* The digest of n bytes at data, at once. */
void sha256_hex_of(const void *data, size_t n, char hex[SHA256_HEX_SIZE]);

#endif
