/*
 * Fuzz target: what upkeep makes of an OCI registry's answers and of the
 * texts around them: image references (registry_ref_parse, from a
 * config or a running container), WWW-Authenticate challenges
 * (registry_challenge_parse), header lines (registry_headers_add), token
 * server answers (registry_token_parse), manifests
 * (registry_manifest_digest), digests (registry_digest_valid) and the
 * Docker config.json credentials (registry_auth_from_json). The whole
 * input goes to each.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *raw = (const char *)data;
	struct registry_challenge ch;
	struct registry_headers h = { 0 };
	struct registry_ref ref;
	char *text, *s, out[160], *user, *password;
	const char *p, *end = raw + size;
	json_t *j;

	if (size > 1 << 20)
		return -1;
	text = fuzz_cstr(data, size);
	if (registry_ref_parse(text, &ref) == 0) {
		free(registry_ref_name(&ref));
		free(registry_ref_string(&ref));
		registry_ref_free(&ref);
	}
	if (registry_challenge_parse(text, &ch) == 0)
		registry_challenge_free(&ch);
	registry_digest_valid(text);
	/* Header lines as libcurl gives them: one at a time, CRLF kept. */
	for (p = raw; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		registry_headers_add(&h, p, n);
		p += n;
	}
	if (h.www_auth && registry_challenge_parse(h.www_auth, &ch) == 0)
		registry_challenge_free(&ch);
	registry_digest_valid(h.digest);
	registry_headers_free(&h);
	s = registry_token_parse(raw, size);
	free(s);
	registry_manifest_digest(raw, size, out, sizeof(out));
	j = json_loadb(raw, size, 0, NULL);
	if (j) {
		static const char *const regs[] = { "docker.io", "ghcr.io",
						    "127.0.0.1:5000" };

		for (size_t i = 0; i < sizeof(regs) / sizeof(*regs); i++)
			if (registry_auth_from_json(j, "config.json", regs[i],
						    &user, &password) == 1) {
				free(user);
				free(password);
			}
		json_decref(j);
	}
	free(text);
	return 0;
}
