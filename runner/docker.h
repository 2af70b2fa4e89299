/*
 * The one Docker Engine API client (libcurl + jansson), shared by the
 * docker-prune step, the docker check, the patch-check step and
 * docker_exec.c (programs run in containers). It finds
 * the engine (a `socket:` setting, else DOCKER_HOST, else
 * /var/run/docker.sock), negotiates the API version once (from /_ping's
 * headers, else /version) and pins it in every later URL, keeps every
 * request inside the caller's time budget, and words every failure once,
 * naming the engine's address, the endpoint and what to do. It knows no
 * endpoint's meaning beyond the negotiation: callers build paths and read
 * the JSON, or (docker_call_stream) take a body that is not JSON as it
 * streams.
 *
 * Works against Docker Engine and Podman's Docker-compatible service
 * (docker_is_podman() tells them apart, from /_ping or /version).
 */
#ifndef UPKEEP_DOCKER_H
#define UPKEEP_DOCKER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The API versions upkeep speaks: it pins min(engine's, DOCKER_API_MAX). */
#define DOCKER_API_MIN "1.25"
#define DOCKER_API_MAX "1.45"
#define DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
/*
 * The most of one reply that is read. A listing of 30,000 images or
 * containers fits; a bigger answer is refused, saying so, rather than
 * held in memory (with jansson's tree, several times its size).
 */
#define DOCKER_BODY_MAX (32u * 1024 * 1024)

struct docker;

/* Where an engine is, resolved from the settings and the environment. */
struct docker_host {
	char *where;		/* for messages: "unix:///run/docker.sock" */
	char *socket;		/* the unix socket path, or NULL for tcp */
	char *base;		/* URL prefix: "http://docker", "https://h:2376" */
	char *cert_path;	/* TLS client certs dir (ca.pem, cert.pem, key.pem) */
	bool tls;
};

/*
 * Resolves the engine's address: socket (a path, from a `socket:`
 * setting) if not NULL, else docker_host (DOCKER_HOST: unix:///PATH or
 * tcp://HOST[:PORT]) if set and not empty, else DOCKER_DEFAULT_SOCKET.
 * tcp:// uses TLS when tls_verify (DOCKER_TLS_VERIFY) is set and not
 * empty, with client certs from cert_path (DOCKER_CERT_PATH, default
 * ~/.docker). Returns 0, or -1 with error_set() for an unusable value.
 */
int docker_host_resolve(struct docker_host *h, const char *socket,
			const char *docker_host, const char *tls_verify,
			const char *cert_path);
void docker_host_free(struct docker_host *h);

/*
 * Connects to the engine named as for docker_host_resolve() (the rest from
 * the environment), within timeout_ms from now: that deadline bounds every
 * later request too (docker_set_deadline() moves it). Pings it and pins
 * the API version: the one /_ping's headers name (Api-Version, with
 * Server "Docker/..." or "Libpod/..." and Libpod-Api-Version) when upkeep
 * speaks it, else what /version says. Returns the client, or NULL after
 * error_set() naming the address and what to do (socket missing,
 * permission denied, nothing listening, no answer in time, not an engine,
 * too old).
 */
struct docker *docker_open(const char *socket, int64_t timeout_ms);
void docker_close(struct docker *d);

/*
 * What an answer of the engine means (docker_call_raw() after the
 * transfer, and the fuzz target): what is "METHOD PATH", code the HTTP
 * status, body its len bytes (NUL-terminated). A 2xx with reply not NULL:
 * *reply gets the parsed JSON (NULL for an empty body) and 0 is returned.
 * Anything else: -1 after error_set("WHAT: HTTP CODE: the engine's
 * message") or, for a 2xx that is not JSON, saying so.
 */
int docker_reply_parse(const char *what, long code, const char *body,
		       size_t len, json_t **reply);

/* What GET /version says, as upkeep uses it. */
struct docker_version {
	char api[16];		/* the API version pinned: "1.41" */
	char engine[96];	/* "Docker Engine 24.0.7", "Podman 4.3.1" */
	char libpod[32];	/* Podman's libpod API version, or "" */
	bool podman;
};

/*
 * Reads a /version answer v from the engine at where (for messages) into
 * out, pinning min(the engine's API version, DOCKER_API_MAX). 0, or -1
 * (error_set) when it names no API version or one upkeep cannot speak.
 */
int docker_version_parse(const json_t *v, const char *where,
			 struct docker_version *out);

/* A new deadline: timeout_ms from now (0 or less: none). */
void docker_set_deadline(struct docker *d, int64_t timeout_ms);

/* Milliseconds left before the deadline (0 when past), -1 for none. */
int64_t docker_time_left(const struct docker *d);

/* "unix:///var/run/docker.sock", for messages. */
const char *docker_where(const struct docker *d);
/* "Docker Engine 24.0.7" or "Podman 4.3.1". */
const char *docker_engine(const struct docker *d);
/* The pinned API version, "1.41". */
const char *docker_api_version(const struct docker *d);
/* Podman's libpod API version ("4.3.1"), or NULL for Docker. */
const char *docker_libpod_version(const struct docker *d);
bool docker_is_podman(const struct docker *d);
/* True when the pinned API version is at least v ("1.42"). */
bool docker_api_at_least(const struct docker *d, const char *v);

/*
 * One request: method, and path after the pinned version ("/containers/
 * json?all=1"; docker_call_raw() takes the whole path). body, if not NULL,
 * is sent as JSON. On a 2xx answer returns 0 and sets *reply to the parsed
 * JSON (NULL for an empty body; reply may be NULL to ignore it). Else
 * returns -1 after error_set("METHOD PATH: reason"): for an HTTP error
 * the engine's own message, and *status (when status is not NULL) is the
 * HTTP status, 0 when there was no answer at all.
 */
int docker_call(struct docker *d, const char *method, const char *path,
		const json_t *body, json_t **reply, long *status);
int docker_call_raw(struct docker *d, const char *method, const char *path,
		    const json_t *body, json_t **reply, long *status);
/* True when the last failed call ran out of time (the deadline). */
bool docker_timed_out(const struct docker *d);

/*
 * A streamed request (docker_call_stream): the body sent, the answer
 * received, or both, never held whole in memory.
 */
struct docker_stream {
	/*
	 * A 2xx answer's body, piece by piece as it arrives (an error's
	 * body is read for its message as usual). Non-zero stops the
	 * transfer: the call then fails, saying it stopped reading, and the
	 * caller words why. NULL: the body is dropped.
	 */
	int (*sink)(void *arg, const char *data, size_t len);
	void *arg;
	/*
	 * The request's body, len bytes in all, sent as content_type: read
	 * fills at most max bytes of buf and returns how many (0 at the
	 * end), or -1 to abort the transfer. NULL: no body (or the JSON).
	 */
	ssize_t (*read)(void *arg, char *buf, size_t max);
	void *read_arg;
	uint64_t len;
	const char *content_type;
};

/*
 * docker_call() with the answer's body (and, with s->read, the request's)
 * streamed through s instead of parsed; body, when not NULL, is sent as
 * JSON (then s->read must be NULL). Bounded by the deadline like every
 * call: a stream cut by it fails with docker_timed_out() true. Returns 0
 * after a 2xx answer was read to its end, else -1 (error_set) as
 * docker_call().
 */
int docker_call_stream(struct docker *d, const char *method,
		       const char *path, const json_t *body,
		       const struct docker_stream *s, long *status);

/*
 * The time budget as it stands (docker_budget_get), to put back
 * (docker_budget_set) after a clean-up that needed time of its own past
 * the caller's deadline (stopping what the deadline cut short).
 */
struct docker_budget {
	int64_t deadline;	/* clock_mono_ms() limit; 0: none */
	int64_t budget_ms;	/* what it was set from, for messages */
};
void docker_budget_get(const struct docker *d, struct docker_budget *b);
void docker_budget_set(struct docker *d, const struct docker_budget *b);

/* The engine's unix socket path, or NULL for a tcp:// engine. */
const char *docker_socket_path(const struct docker *d);

/* The most connections docker_each() opens to one engine. */
#define DOCKER_WIDTH_MAX 4

/*
 * Runs fn(c, i, arg) once for each i < n, on up to width connections at
 * once (at most DOCKER_WIDTH_MAX), one thread each: c is d itself or a
 * sibling client (the same engine, pinned version and deadline, its own
 * connection, kept for the next call and closed with d; fn may call
 * docker_each() on its c, d included, and gets siblings not in use). fn may touch
 * only what index i owns (error_last() is per thread: copy it). When fn
 * returns non-zero (the engine is gone, the time ran out) no further
 * index is started. Indexes go out in order; width <= 1 runs them in
 * order on this thread. Returns how many were started (those below it);
 * afterwards docker_timed_out(d) is true when a connection's last failed
 * call ran out of time.
 */
size_t docker_each(struct docker *d, size_t n, int width,
		   int (*fn)(struct docker *c, size_t i, void *arg), void *arg);

/*
 * True when labels (a JSON object, or NULL/null for none) match spec:
 * "key" (present, any value) or "key=value" (present with that value).
 */
bool docker_labels_match(const json_t *labels, const char *spec);

/*
 * Parses an Engine API time: RFC 3339 with optional fraction and Z or
 * +hh:mm ("2026-11-22T19:33:47.428561724Z"), or a JSON number of Unix
 * seconds. Returns 0, or -1 when it is neither.
 */
int docker_parse_time(const json_t *v, time_t *t);

/*
 * The bytes per category of a GET /system/df answer, as `docker system df`
 * totals them: {"containers", "images", "volumes", "build-cache"}. Images
 * count shared layers once (LayersSize) where the engine says it, else
 * (Podman leaves LayersSize 0) the sum of image sizes.
 */
json_t *docker_df_totals(const json_t *df);

/* Compares "1.41" and "1.9" as versions: <0, 0, >0. */
int docker_version_cmp(const char *a, const char *b);

#endif
