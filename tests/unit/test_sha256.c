/*
 * Unit tests of the streaming SHA-256 (runner/util/sha256.c, libcrypto's
 * EVP underneath): the FIPS 180-4 vectors, fed whole and in pieces of
 * every awkward size, and a hash given up half way. The hashing of files
 * against sha256sum is in test_snapshot.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/sha256.h"

static void hex_of(const char *data, size_t n, size_t chunk,
		   char hex[SHA256_HEX_SIZE])
{
	struct sha256 s;

	sha256_init(&s);
	for (size_t off = 0; off < n; off += chunk)
		sha256_update(&s, data + off, n - off < chunk ? n - off : chunk);
	assert_int_equal(s.len, n);
	sha256_hex(&s, hex);
	assert_null(s.ctx);
}

static void test_vectors(void **state)
{
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnop"
			  "nopq";
	char hex[SHA256_HEX_SIZE], *million = xmalloc(1000000);

	(void)state;
	hex_of("", 0, 1, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b9"
			    "34ca495991b7852b855");
	sha256_hex_of("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177"
			    "a9cb410ff61f20015ad");
	/* 56 bytes: the padding needs a second block. */
	for (size_t chunk = 1; chunk <= 64; chunk += 7) {
		hex_of(two, strlen(two), chunk, hex);
		assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce"
				    "45964ff2167f6ecedd419db06c1");
	}
	memset(million, 'a', 1000000);
	hex_of(million, 1000000, 4099, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a4972"
			    "00e046d39ccc7112cd0");
	free(million);
}

/* A hash given up frees its state (ASan's leak check says whether). */
static void test_discard(void **state)
{
	struct sha256 s;

	(void)state;
	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_discard(&s);
	assert_null(s.ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_discard),
	};

	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
