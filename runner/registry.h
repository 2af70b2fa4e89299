/*
 * The OCI distribution API client (libcurl): what digest a registry serves
 * for an image tag, asked with HEAD /v2/<name>/manifests/<tag> and the
 * Accept headers of OCI indexes, Docker manifest lists and single
 * manifests, so the answer is the digest `docker pull` would record.
 * Authentication as the Docker CLI does it: anonymous first; on a 401, a
 * Bearer challenge (WWW-Authenticate) is answered with a token from the
 * challenge's realm (with the Docker config.json credentials for that
 * registry when there are any), a Basic challenge with those credentials.
 * Registries listed as insecure are spoken to in plain HTTP, all others in
 * HTTPS. Read-only: it only ever sends HEAD and GET.
 *
 * Credentials and tokens never appear in a message. Used by the
 * patch-check step (steps/patch_check.c).
 */
#ifndef UPKEEP_REGISTRY_H
#define UPKEEP_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strv.h"

/* Docker Hub as references name it, and where its API is. */
#define REGISTRY_DOCKER_HUB "docker.io"
#define REGISTRY_DOCKER_HUB_API "registry-1.docker.io"

/* An image reference, normalized like the Docker CLI does. */
struct registry_ref {
	char *registry;		/* "docker.io", "ghcr.io", "127.0.0.1:5000" */
	char *repo;		/* "library/nginx", "test/app" */
	char *tag;		/* "1.25"; "latest" when neither tag nor digest */
	char *digest;		/* "sha256:…" when pinned by digest, else NULL */
};

/*
 * Parses "[REGISTRY/]NAME[:TAG][@DIGEST]": a first component with a dot or
 * a colon, or "localhost", is the registry, else it is Docker Hub (and a
 * one-component name gets "library/"). Returns 0, or -1 with error_set()
 * naming what is wrong with s.
 */
int registry_ref_parse(const char *s, struct registry_ref *ref);
void registry_ref_free(struct registry_ref *ref);
/* "REGISTRY/REPO", as a repo digest starts (before "@"); free it. */
char *registry_ref_name(const struct registry_ref *ref);
/* "REGISTRY/REPO:TAG" (or "@DIGEST"); free it. */
char *registry_ref_string(const struct registry_ref *ref);

/* One challenge of a WWW-Authenticate header. */
struct registry_challenge {
	char scheme[16];	/* "Bearer", "Basic"; "" when none was found */
	char *realm;
	char *service;
	char *scope;
	char *error;		/* error="insufficient_scope", or NULL */
};

/*
 * Parses a WWW-Authenticate value (RFC 9110 challenge: a scheme, then
 * comma-separated auth-params with token or quoted-string values). Of
 * several challenges the first Bearer one wins, else the first. Returns 0,
 * or -1 (error_set) when the value is not a challenge.
 */
int registry_challenge_parse(const char *value, struct registry_challenge *c);
void registry_challenge_free(struct registry_challenge *c);

/*
 * The credentials config.json (path, or NULL: $DOCKER_CONFIG/config.json,
 * else ~/.docker/config.json) holds for registry, from its `auths` (an
 * `auth` of base64 "user:password", or `username` and `password`); Docker
 * Hub is also found under "https://index.docker.io/v1/". Returns 1 and
 * sets *user and *password (free them), 0 when there are none (or no
 * file), -1 (error_set) when the file is unreadable or malformed.
 * credsStore and credHelpers are not consulted.
 */
int registry_auth_lookup(const char *path, const char *registry, char **user,
			 char **password);
/* The same from config.json's parsed root; file names it in messages. */
int registry_auth_from_json(const json_t *root, const char *file,
			    const char *registry, char **user, char **password);

/*
 * What registry_digest() reads of a registry's answers, exposed for the
 * unit tests and the fuzz target (fuzz/registry.c): they are text from
 * the network.
 */
struct registry_headers {
	char digest[160];	/* Docker-Content-Digest, cut to fit */
	char content_type[128];
	char *www_auth;		/* every WWW-Authenticate, ", "-joined */
};
/* One header line (len bytes, not NUL-terminated) of an answer. */
void registry_headers_add(struct registry_headers *h, const char *line,
			  size_t len);
void registry_headers_free(struct registry_headers *h);
/*
 * The token of a token server's JSON answer ("token", else
 * "access_token"), or NULL when there is none usable. Free it.
 */
char *registry_token_parse(const char *body, size_t len);
/*
 * "sha256:<hex>" of body into out when body is an image manifest or
 * index (a JSON object with an integer schemaVersion and manifests,
 * layers or fsLayers); -1 when it is not one.
 */
int registry_manifest_digest(const char *body, size_t len, char *out,
			     size_t outlen);

/* How to reach registries. */
struct registry_opts {
	const struct strv *insecure;	/* hosts spoken to in plain HTTP */
	const char *docker_config;	/* config.json; NULL: the default */
	int64_t deadline_ms;		/* clock_mono_ms() limit; 0: none */
	int64_t request_timeout_ms;	/* each request at most; 0: none */
};

/* What a registry answered for one tag. */
struct registry_answer {
	long status;			/* last HTTP status; 0: no answer */
	char digest[160];		/* "sha256:…", when found */
	char media_type[128];		/* the manifest's Content-Type */
	char auth[16];			/* "none", "bearer", "basic" */
	bool timed_out;			/* the deadline passed */
	bool used_credentials;		/* config.json credentials were sent */
};

/* True when host is in opts->insecure (plain HTTP). */
bool registry_is_insecure(const struct registry_opts *opts, const char *host);
/* "https://registry-1.docker.io", "http://127.0.0.1:5000"; free it. */
char *registry_base_url(const struct registry_opts *opts, const char *host);

/*
 * Asks ref's registry for the digest of ref's tag (HEAD, falling back to
 * GET and hashing the body when the registry sends no
 * Docker-Content-Digest). Returns 0 with ans->digest set, or -1 with
 * error_set() saying why, naming the registry and image and what to do:
 * unreachable, 401 without or with refused credentials, 404 (no such tag
 * or repository), out of time, an answer that is not a manifest.
 */
int registry_digest(const struct registry_opts *opts,
		    const struct registry_ref *ref, struct registry_answer *ans);

/* True when s is "ALGO:HEX" with a known algorithm and the right length. */
bool registry_digest_valid(const char *s);

#endif
