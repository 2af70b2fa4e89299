/*
 * The Docker Engine API client: libcurl over a unix socket (or tcp://,
 * with TLS client certs), the version negotiated once and pinned in every
 * URL, every request bounded by the caller's deadline, JSON through
 * jansson. This is libcurl's and jansson's adapter for the engine: their
 * errors are worded here, once, naming the address and the endpoint. What
 * the endpoints mean is the callers' business (steps/docker_prune.c,
 * checks/docker.c, steps/patch_check.c, docker_exec.c). A streamed
 * request goes through the same set-up, deadline and wording: only where
 * the bodies come from and go differs.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "docker.h"
#include "net.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/units.h"

struct docker {
	struct docker_host host;
	CURL *curl;			/* reused: keeps the connection open */
	struct docker_version ver;	/* from /_ping or /version: the API */
	int64_t deadline;		/* clock_mono_ms() limit; 0: none */
	int64_t budget_ms;		/* what the deadline was set from */
	bool timed_out;			/* the last failure was the deadline */
	/* docker_each()'s other connections, made on first use. */
	struct docker *siblings[DOCKER_WIDTH_MAX - 1];
	bool busy;			/* a sibling lent to a docker_each() */
};

int docker_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		char *ea, *eb;
		unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);

		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea + strlen(ea);
		b = *eb == '.' ? eb + 1 : eb + strlen(eb);
		if (ea == a && eb == b)
			break;
	}
	return 0;
}

void docker_host_free(struct docker_host *h)
{
	free(h->where);
	free(h->socket);
	free(h->base);
	free(h->cert_path);
	memset(h, 0, sizeof(*h));
}

int docker_host_resolve(struct docker_host *h, const char *socket,
			const char *docker_host, const char *tls_verify,
			const char *cert_path)
{
	const char *hostport;
	size_t n;

	memset(h, 0, sizeof(*h));
	if (!socket && docker_host && *docker_host) {
		if (strncmp(docker_host, "unix://", 7) == 0) {
			socket = docker_host + 7;
			if (*socket != '/')
				return error_set("DOCKER_HOST '%s' must name an "
						 "absolute socket path "
						 "(unix:///run/docker.sock)",
						 docker_host);
		} else if (strncmp(docker_host, "tcp://", 6) == 0) {
			hostport = docker_host + 6;
			n = strcspn(hostport, "/?#");
			if (n == 0 || hostport[n])
				return error_set("DOCKER_HOST '%s' must be "
						 "tcp://HOST[:PORT] with nothing "
						 "after the port", docker_host);
			h->tls = tls_verify && *tls_verify;
			h->where = xstrdup(docker_host);
			/* The Docker CLI's default ports. */
			h->base = xasprintf("%s://%.*s%s", h->tls ? "https" :
					    "http", (int)n, hostport,
					    memchr(hostport, ':', n) ? "" :
					    h->tls ? ":2376" : ":2375");
			if (h->tls) {
				const char *home = getenv("HOME");

				h->cert_path = cert_path && *cert_path ?
					xstrdup(cert_path) :
					xasprintf("%s/.docker", home ? home : "");
			}
			return 0;
		} else {
			return error_set("DOCKER_HOST '%s' is not supported: "
					 "use unix:///PATH or tcp://HOST:PORT "
					 "(ssh:// and npipe:// are not)",
					 docker_host);
		}
	}
	if (!socket)
		socket = DOCKER_DEFAULT_SOCKET;
	if (strlen(socket) > 107)
		return error_set("Docker socket path '%s' is longer than a unix "
				 "socket path may be (107 bytes)", socket);
	h->socket = xstrdup(socket);
	h->where = xasprintf("unix://%s", socket);
	/* The host part is not used on a unix socket; "docker" reads well. */
	h->base = xstrdup("http://docker");
	return 0;
}

/* What to do about a unix socket that cannot be reached, from errno. */
static int docker_socket_error(const struct docker *d, const char *what,
			       int err)
{
	const char *path = d->host.socket;
	struct stat st;

	if (err == ENOENT || (err == 0 && stat(path, &st) != 0 &&
			      errno == ENOENT))
		return error_set("%s: no Docker engine socket at '%s': start "
				 "the engine (dockerd, or `podman system "
				 "service`), or point 'socket:' or DOCKER_HOST "
				 "at its socket", what, path);
	/* connect(2) on a plain file says ECONNREFUSED: look first. */
	if (err == ENOTSOCK || (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode)))
		return error_set("%s: '%s' is not a socket: point 'socket:' or "
				 "DOCKER_HOST at the engine's socket", what,
				 path);
	if (err == EACCES || err == EPERM)
		return error_set("%s: permission denied on '%s': run upkeep as "
				 "root or as a user in the socket's group (often "
				 "'docker')", what, path);
	if (err == ECONNREFUSED)
		return error_set("%s: nothing listens on '%s' (connection "
				 "refused): the engine is not running; start it, "
				 "or point 'socket:' or DOCKER_HOST at the right "
				 "socket", what, path);
	return error_set("%s: cannot connect to '%s': %s", what, path,
			 err ? strerror(err) : "unknown error");
}

/*
 * The first line of an error body (len bytes, NUL-terminated), or the
 * engine's "message" field.
 */
static void docker_reason(const char *body, size_t len, const json_t *j,
			  char *buf, size_t size)
{
	const char *msg = json_string_value(json_object_get(j, "message"));
	size_t n;

	if (msg) {
		snprintf(buf, size, "%s", msg);
	} else if (len) {
		n = strcspn(body, "\r\n");
		snprintf(buf, size, "%.*s", (int)(n > 200 ? 200 : n), body);
	} else {
		snprintf(buf, size, "empty answer");
	}
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

int docker_reply_parse(const char *what, long code, const char *body,
		       size_t len, json_t **reply)
{
	char reason[256];
	json_error_t jerr;
	json_t *j = NULL;
	bool ok = code >= 200 && code < 300;

	if (reply)
		*reply = NULL;
	/* A 2xx body is read only when asked for (/_ping answers "OK"). */
	if (len && (reply || !ok)) {
		j = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
		if (!j && ok) {
			docker_reason(body, len, NULL, reason, sizeof(reason));
			return error_set("%s: the engine's answer is not JSON (%s "
					 "at line %d column %d): '%.60s'", what,
					 jerr.text, jerr.line, jerr.column,
					 reason);
		}
	}
	if (!ok) {
		docker_reason(body, len, j, reason, sizeof(reason));
		json_decref(j);
		return error_set("%s: HTTP %ld: %s", what, code, reason);
	}
	if (reply)
		*reply = j;
	else
		json_decref(j);
	return 0;
}

/* The TLS client files of a tcp:// host, from its cert path. */
static void docker_set_tls(const struct docker *d)
{
	char *ca = xasprintf("%s/ca.pem", d->host.cert_path);
	char *cert = xasprintf("%s/cert.pem", d->host.cert_path);
	char *key = xasprintf("%s/key.pem", d->host.cert_path);

	/* libcurl copies string options. */
	curl_easy_setopt(d->curl, CURLOPT_CAINFO, ca);
	curl_easy_setopt(d->curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(d->curl, CURLOPT_SSLKEY, key);
	free(ca);
	free(cert);
	free(key);
}

/* Words a failed transfer (cc) of the request `what`; returns -1. */
static int docker_transfer_error(struct docker *d, const char *what,
				 CURLcode cc, long code, const char *errbuf,
				 const struct net_body *b, const char *limit)
{
	long os_errno = 0;

	curl_easy_getinfo(d->curl, CURLINFO_OS_ERRNO, &os_errno);
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		if (d->host.socket)
			return docker_socket_error(d, what, (int)os_errno);
		return error_set("%s: cannot connect to %s: %s", what,
				 d->host.where, os_errno ?
				 strerror((int)os_errno) : *errbuf ? errbuf :
				 curl_easy_strerror(cc));
	case CURLE_OPERATION_TIMEDOUT:
		d->timed_out = true;
		return error_set("%s: no %sanswer from %s within the time "
				 "allowed (%s)", what, code ? "complete " : "",
				 d->host.where, limit);
	case CURLE_WRITE_ERROR:
		if (b->capped)
			return error_set("%s: the answer from %s is larger than "
					 "%u MiB, the most upkeep reads of one "
					 "reply: the engine holds too many "
					 "objects for one listing (prune them "
					 "with the docker CLI), or it is not a "
					 "Docker engine", what, d->host.where,
					 DOCKER_BODY_MAX >> 20);
		/* fall through */
	default:
		return error_set("%s: %s: %s", what, d->host.where,
				 *errbuf ? errbuf : curl_easy_strerror(cc));
	}
}

/*
 * What a /_ping answer's headers say about the engine: enough to pin the
 * API version without GET /version, which Podman answers slowly (it runs
 * conmon, the OCI runtime and the package manager for their versions:
 * 0.8 s to 2.7 s on the test VM, most of a small prune's fixed cost).
 */
struct docker_ping {
	char api[16];		/* Api-Version: "1.41" */
	char libpod[32];	/* Libpod-Api-Version: "4.3.1" (Podman only) */
	char server[96];	/* Server: "Libpod/4.3.1 (linux)", "Docker/26.1.0 (linux)" */
};

/* Copies header line's value into out when the line is "name: value". */
static void docker_header_value(const char *line, size_t len,
				const char *name, char *out, size_t size)
{
	size_t n = strlen(name), end;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	for (end = len; end && (unsigned char)line[end - 1] <= ' '; end--)
		;
	snprintf(out, size, "%.*s", (int)end, line);
}

/* CURLOPT_HEADERFUNCTION for /_ping: keeps the headers docker_ping uses. */
static size_t docker_ping_header(char *line, size_t size, size_t nmemb,
				 void *arg)
{
	struct docker_ping *p = arg;
	size_t len = size * nmemb;

	docker_header_value(line, len, "Api-Version", p->api, sizeof(p->api));
	docker_header_value(line, len, "Libpod-Api-Version", p->libpod,
			    sizeof(p->libpod));
	docker_header_value(line, len, "Server", p->server, sizeof(p->server));
	return len;
}

/* What one request sends and where its answer goes (docker_request). */
struct docker_req {
	const char *method, *path;
	const json_t *body;		/* sent as JSON, or NULL */
	const struct docker_stream *stream; /* a streamed body or answer */
	json_t **reply;
	long *status;
	struct docker_ping *ping;	/* gets /_ping's headers, or NULL */
};

/* Where a streamed answer's bytes go: to the caller's sink on a 2xx, to
 * the bounded body otherwise (for the engine's message). */
struct docker_sinking {
	struct docker *d;
	const struct docker_stream *s;
	struct net_body *b;
	bool stopped;			/* the sink said stop */
};

static size_t docker_sink_write(char *data, size_t size, size_t nmemb,
				void *arg)
{
	struct docker_sinking *k = arg;
	size_t len = size * nmemb;
	long code = 0;

	curl_easy_getinfo(k->d->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300)
		return net_body_write(data, size, nmemb, k->b);
	if (k->s->sink(k->s->arg, data, len) != 0) {
		k->stopped = true;
		return 0;	/* CURLE_WRITE_ERROR: the transfer stops */
	}
	return len;
}

static size_t docker_upload_read(char *buf, size_t size, size_t nmemb,
				 void *arg)
{
	const struct docker_stream *s = arg;
	ssize_t n = s->read(s->read_arg, buf, size * nmemb);

	return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

/* Sets up the body the request sends: JSON, a stream, or nothing. */
static void docker_set_body(struct docker *d, const struct docker_req *r,
			    struct curl_slist **headers, char **data)
{
	const struct docker_stream *s = r->stream;

	if (r->body) {
		*data = json_dumps(r->body, JSON_COMPACT);
		if (!*data)
			abort();
		*headers = curl_slist_append(*headers,
				"Content-Type: application/json");
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, *data);
	} else if (s && s->read) {
		char *ct = xasprintf("Content-Type: %s", s->content_type ?
				     s->content_type :
				     "application/octet-stream");

		*headers = curl_slist_append(*headers, ct);
		free(ct);
		/* The engine's Go server expects a length, not chunks. */
		curl_easy_setopt(d->curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(d->curl, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)s->len);
		curl_easy_setopt(d->curl, CURLOPT_READFUNCTION,
				 docker_upload_read);
		curl_easy_setopt(d->curl, CURLOPT_READDATA, s);
		/* No "Expect: 100-continue" wait before the body. */
		*headers = curl_slist_append(*headers, "Expect:");
	} else if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(d->curl, CURLOPT_POSTFIELDS, "");
	}
	if (*headers)
		curl_easy_setopt(d->curl, CURLOPT_HTTPHEADER, *headers);
}

/* One request, as docker_call_raw() or docker_call_stream(). */
static int docker_request(struct docker *d, const struct docker_req *r)
{
	char errbuf[CURL_ERROR_SIZE] = "", what[512], limit[32];
	struct net_body b = { .max = DOCKER_BODY_MAX };
	struct net_opts o = {
		.method = r->method, .unix_socket = d->host.socket,
		.body = &b, .errbuf = errbuf,
	};
	struct docker_sinking k = { .d = d, .s = r->stream, .b = &b };
	struct curl_slist *headers = NULL;
	char *url = NULL, *data = NULL;
	long code = 0;
	CURLcode cc;
	int rc = -1;

	if (r->reply)
		*r->reply = NULL;
	if (r->status)
		*r->status = 0;
	d->timed_out = false;
	snprintf(what, sizeof(what), "%s %s", r->method, r->path);
	units_format_duration(d->budget_ms, limit, sizeof(limit));
	if (d->deadline && clock_mono_ms() >= d->deadline) {
		d->timed_out = true;
		return error_set("%s: the time allowed (%s) ran out before the "
				 "request to %s", what, limit, d->host.where);
	}
	if (d->deadline) {
		o.timeout_ms = d->deadline - clock_mono_ms();
		if (o.timeout_ms < 1)
			o.timeout_ms = 1;
	}
	o.url = url = xasprintf("%s%s", d->host.base, r->path);
	if (net_curl_reset(d->curl, &o) < 0)
		goto out;
	if (d->host.tls)
		docker_set_tls(d);
	if (r->ping) {
		curl_easy_setopt(d->curl, CURLOPT_HEADERFUNCTION,
				 docker_ping_header);
		curl_easy_setopt(d->curl, CURLOPT_HEADERDATA, r->ping);
	}
	if (r->stream && r->stream->sink) {
		curl_easy_setopt(d->curl, CURLOPT_WRITEFUNCTION,
				 docker_sink_write);
		curl_easy_setopt(d->curl, CURLOPT_WRITEDATA, &k);
	}
	docker_set_body(d, r, &headers, &data);

	cc = curl_easy_perform(d->curl);
	curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &code);
	if (r->status)
		*r->status = code;
	if (k.stopped)
		error_set("%s: stopped reading the answer from %s", what,
			  d->host.where);
	else if (cc != CURLE_OK)
		docker_transfer_error(d, what, cc, code, errbuf, &b, limit);
	else
		rc = docker_reply_parse(what, code, b.buf ? b.buf : "", b.len,
					r->reply);
out:
	net_body_free(&b);
	free(data);
	free(url);
	curl_slist_free_all(headers);
	return rc;
}

int docker_call_raw(struct docker *d, const char *method, const char *path,
		    const json_t *body, json_t **reply, long *status)
{
	struct docker_req r = {
		.method = method, .path = path, .body = body, .reply = reply,
		.status = status,
	};

	return docker_request(d, &r);
}

int docker_call(struct docker *d, const char *method, const char *path,
		const json_t *body, json_t **reply, long *status)
{
	char *full = xasprintf("/v%s%s", d->ver.api, path);
	int rc = docker_call_raw(d, method, full, body, reply, status);

	free(full);
	return rc;
}

int docker_call_stream(struct docker *d, const char *method,
		       const char *path, const json_t *body,
		       const struct docker_stream *s, long *status)
{
	char *full = xasprintf("/v%s%s", d->ver.api, path);
	struct docker_req r = {
		.method = method, .path = full, .body = body, .stream = s,
		.status = status,
	};
	int rc = docker_request(d, &r);

	free(full);
	return rc;
}

bool docker_timed_out(const struct docker *d)
{
	return d->timed_out;
}

int64_t docker_time_left(const struct docker *d)
{
	int64_t left;

	if (!d->deadline)
		return -1;
	left = d->deadline - clock_mono_ms();
	return left > 0 ? left : 0;
}

void docker_budget_get(const struct docker *d, struct docker_budget *b)
{
	b->deadline = d->deadline;
	b->budget_ms = d->budget_ms;
}

void docker_budget_set(struct docker *d, const struct docker_budget *b)
{
	d->deadline = b->deadline;
	d->budget_ms = b->budget_ms;
}

const char *docker_socket_path(const struct docker *d)
{
	return d->host.socket;
}

void docker_set_deadline(struct docker *d, int64_t timeout_ms)
{
	d->budget_ms = timeout_ms > 0 ? timeout_ms : 0;
	d->deadline = timeout_ms > 0 ? clock_mono_ms() + timeout_ms : 0;
}

int docker_version_parse(const json_t *v, const char *where,
			 struct docker_version *out)
{
	json_t *comps;
	const char *api, *min, *version;
	size_t i;

	memset(out, 0, sizeof(*out));
	api = json_string_value(json_object_get(v, "ApiVersion"));
	min = json_string_value(json_object_get(v, "MinAPIVersion"));
	version = json_string_value(json_object_get(v, "Version"));
	if (!api || strspn(api, "0123456789.") != strlen(api) || !*api)
		return error_set("GET /version: %s did not say its API version "
				 "(no ApiVersion): is it a Docker engine?",
				 where);
	if (docker_version_cmp(api, DOCKER_API_MIN) < 0)
		return error_set("the engine at %s speaks API %.20s; upkeep "
				 "needs %s or newer (Docker 1.13+, Podman 2+)",
				 where, api, DOCKER_API_MIN);
	snprintf(out->api, sizeof(out->api), "%s",
		 docker_version_cmp(api, DOCKER_API_MAX) > 0 ? DOCKER_API_MAX
							     : api);
	if (min && docker_version_cmp(min, out->api) > 0)
		return error_set("the engine at %s needs API %.20s or newer; "
				 "upkeep speaks up to %s", where, min,
				 DOCKER_API_MAX);
	comps = json_object_get(v, "Components");
	for (i = 0; i < json_array_size(comps); i++) {
		json_t *c = json_array_get(comps, i);
		const char *name = json_string_value(json_object_get(c, "Name"));

		if (name && strcmp(name, "Podman Engine") == 0) {
			const char *lp = json_string_value(json_object_get(
				json_object_get(c, "Details"), "APIVersion"));

			out->podman = true;
			snprintf(out->libpod, sizeof(out->libpod), "%s",
				 lp ? lp : version ? version : "4.0.0");
		}
	}
	snprintf(out->engine, sizeof(out->engine), "%s %s",
		 out->podman ? "Podman" : "Docker Engine",
		 version ? version : "(version unknown)");
	return 0;
}

/*
 * Pins the API version from the /_ping headers p alone, when they say
 * everything /version would: an API version upkeep speaks as it is (so
 * the engine's minimum cannot be above it), and a Server naming Docker
 * or, with the libpod API version, Podman. Returns false for anything
 * else (an older engine, a proxy, API above DOCKER_API_MAX, where the
 * engine's minimum matters): /version then decides, as it always did.
 */
static bool docker_version_from_ping(const struct docker_ping *p,
				     struct docker_version *out)
{
	const char *ver;
	bool podman;

	if (!*p->api || strspn(p->api, "0123456789.") != strlen(p->api) ||
	    docker_version_cmp(p->api, DOCKER_API_MIN) < 0 ||
	    docker_version_cmp(p->api, DOCKER_API_MAX) > 0)
		return false;
	if (strncmp(p->server, "Libpod/", 7) == 0 && *p->libpod)
		podman = true;
	else if (strncmp(p->server, "Docker/", 7) == 0)
		podman = false;
	else
		return false;
	ver = p->server + 7;
	if (!*ver || *ver == ' ')
		return false;
	memset(out, 0, sizeof(*out));
	snprintf(out->api, sizeof(out->api), "%s", p->api);
	out->podman = podman;
	if (podman)
		snprintf(out->libpod, sizeof(out->libpod), "%s", p->libpod);
	snprintf(out->engine, sizeof(out->engine), "%s %.*s",
		 podman ? "Podman" : "Docker Engine",
		 (int)strcspn(ver, " "), ver);
	return true;
}

/* Reads /version: the engine's name and API versions; pins the version. */
static int docker_negotiate(struct docker *d)
{
	json_t *v = NULL;
	int rc = -1;

	if (docker_call_raw(d, "GET", "/version", NULL, &v, NULL) == 0)
		rc = docker_version_parse(v, d->host.where, &d->ver);
	json_decref(v);
	return rc;
}

struct docker *docker_open(const char *socket, int64_t timeout_ms)
{
	struct docker *d = xcalloc(1, sizeof(*d));
	struct docker_ping ping = { "", "", "" };
	long status = 0;

	if (docker_host_resolve(&d->host, socket, getenv("DOCKER_HOST"),
				getenv("DOCKER_TLS_VERIFY"),
				getenv("DOCKER_CERT_PATH")) < 0)
		goto fail;
	if (!(d->curl = net_curl_new(NULL)))
		goto fail;
	docker_set_deadline(d, timeout_ms);
	if (d->host.socket && access(d->host.socket, F_OK) != 0) {
		docker_socket_error(d, "GET /_ping", errno);
		goto fail;
	}
	if (docker_request(d, &(struct docker_req){ .method = "GET",
			   .path = "/_ping", .status = &status,
			   .ping = &ping }) < 0) {
		if (status)
			error_set("GET /_ping: %s answered HTTP %ld, not OK: "
				  "is it a Docker engine?", d->host.where,
				  status);
		goto fail;
	}
	if (!docker_version_from_ping(&ping, &d->ver) &&
	    docker_negotiate(d) < 0)
		goto fail;
	return d;
fail:
	docker_close(d);
	return NULL;
}

/* ---- several requests at once ------------------------------------------ */

/* A client like d (engine, version, deadline) on a connection of its own. */
static struct docker *docker_sibling(const struct docker *d)
{
	struct docker *c = xcalloc(1, sizeof(*c));

	c->host.where = xstrdup(d->host.where);
	c->host.socket = d->host.socket ? xstrdup(d->host.socket) : NULL;
	c->host.base = xstrdup(d->host.base);
	c->host.cert_path = d->host.cert_path ? xstrdup(d->host.cert_path)
					      : NULL;
	c->host.tls = d->host.tls;
	c->ver = d->ver;
	c->curl = net_curl_new(NULL);
	if (!c->curl) {
		docker_close(c);
		return NULL;
	}
	return c;
}

struct docker_each_ctx {
	pthread_mutex_t lock;
	size_t next, n;
	bool stop;
	int (*fn)(struct docker *c, size_t i, void *arg);
	void *arg;
};

struct docker_worker {
	struct docker_each_ctx *x;
	struct docker *c;
	pthread_t thread;
	bool started;
};

/* Takes the next index until none is left or fn asked to stop. */
static void docker_each_loop(struct docker_each_ctx *x, struct docker *c)
{
	for (;;) {
		size_t i;

		pthread_mutex_lock(&x->lock);
		if (x->stop || x->next >= x->n) {
			pthread_mutex_unlock(&x->lock);
			return;
		}
		i = x->next++;
		pthread_mutex_unlock(&x->lock);
		if (x->fn(c, i, x->arg)) {
			pthread_mutex_lock(&x->lock);
			x->stop = true;
			pthread_mutex_unlock(&x->lock);
		}
	}
}

static void *docker_each_thread(void *arg)
{
	struct docker_worker *w = arg;

	docker_each_loop(w->x, w->c);
	return NULL;
}

size_t docker_each(struct docker *d, size_t n, int width,
		   int (*fn)(struct docker *c, size_t i, void *arg), void *arg)
{
	struct docker_each_ctx x = { .n = n, .fn = fn, .arg = arg };
	struct docker_worker w[DOCKER_WIDTH_MAX - 1] = { { 0 } };
	int k, extra, nw = 0;

	if (width > DOCKER_WIDTH_MAX)
		width = DOCKER_WIDTH_MAX;
	extra = width > 1 && n > 1 ?
		(int)(n < (size_t)width ? n : (size_t)width) - 1 : 0;
	d->timed_out = false;
	pthread_mutex_init(&x.lock, NULL);
	/*
	 * The siblings are made here, on this thread: libcurl's handles
	 * (and the stubs that load it) are not made concurrently. One lent
	 * to a docker_each() still running (fn calling docker_each() on d
	 * again) is in use: the others are taken.
	 */
	for (k = 0; k < DOCKER_WIDTH_MAX - 1 && nw < extra; k++) {
		struct docker_worker *wk = &w[nw];

		if (!d->siblings[k] && !(d->siblings[k] = docker_sibling(d)))
			break;
		if (d->siblings[k]->busy)
			continue;
		d->siblings[k]->deadline = d->deadline;
		d->siblings[k]->budget_ms = d->budget_ms;
		d->siblings[k]->timed_out = false;
		*wk = (struct docker_worker){ .x = &x, .c = d->siblings[k] };
		/* A thread that cannot start leaves its share to the others. */
		wk->started = pthread_create(&wk->thread, NULL,
					     docker_each_thread, wk) == 0;
		wk->c->busy = wk->started;
		nw += wk->started;
	}
	docker_each_loop(&x, d);
	for (k = 0; k < nw; k++) {
		pthread_join(w[k].thread, NULL);
		w[k].c->busy = false;
		d->timed_out |= w[k].c->timed_out;
	}
	pthread_mutex_destroy(&x.lock);
	return x.next;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	for (int k = 0; k < DOCKER_WIDTH_MAX - 1; k++)
		docker_close(d->siblings[k]);
	if (d->curl)
		curl_easy_cleanup(d->curl);
	docker_host_free(&d->host);
	free(d);
}

const char *docker_where(const struct docker *d)
{
	return d->host.where;
}

const char *docker_engine(const struct docker *d)
{
	return d->ver.engine;
}

const char *docker_api_version(const struct docker *d)
{
	return d->ver.api;
}

const char *docker_libpod_version(const struct docker *d)
{
	return d->ver.podman ? d->ver.libpod : NULL;
}

bool docker_is_podman(const struct docker *d)
{
	return d->ver.podman;
}

bool docker_api_at_least(const struct docker *d, const char *v)
{
	return docker_version_cmp(d->ver.api, v) >= 0;
}

bool docker_labels_match(const json_t *labels, const char *spec)
{
	const char *eq = strchr(spec, '=');
	size_t klen = eq ? (size_t)(eq - spec) : strlen(spec);
	const char *key, *val;
	json_t *v;

	json_object_foreach((json_t *)labels, key, v) {
		if (strlen(key) != klen || strncmp(key, spec, klen) != 0)
			continue;
		if (!eq)
			return true;
		val = json_string_value(v);
		return val && strcmp(val, eq + 1) == 0;
	}
	return false;
}

int docker_parse_time(const json_t *v, time_t *t)
{
	const char *s = json_string_value(v), *p;
	struct tm tm = { 0 };
	long off = 0;

	if (json_is_integer(v)) {
		*t = (time_t)json_integer_value(v);
		return 0;
	}
	if (!s)
		return -1;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' && !p[1]) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int hh = atoi(p + 1), mm = atoi(p + 4);

		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	} else {
		return -1;
	}
	*t = timegm(&tm) - off;
	return 0;
}

/* A byte count from the API: negative (-1 means "not computed") is 0. */
static json_int_t docker_bytes(const json_t *v)
{
	json_int_t n = json_integer_value(v);

	return n > 0 ? n : 0;
}

json_t *docker_df_totals(const json_t *df)
{
	json_int_t containers = 0, images, volumes = 0, cache;
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(df, "Containers"), i, o)
		containers += docker_bytes(json_object_get(o, "SizeRw"));
	images = docker_bytes(json_object_get(df, "LayersSize"));
	if (!images)	/* Podman leaves LayersSize 0 */
		json_array_foreach(json_object_get(df, "Images"), i, o)
			images += docker_bytes(json_object_get(o, "Size"));
	json_array_foreach(json_object_get(df, "Volumes"), i, o)
		volumes += docker_bytes(json_object_get(json_object_get(o,
						"UsageData"), "Size"));
	cache = docker_bytes(json_object_get(df, "BuilderSize"));
	if (!cache)
		json_array_foreach(json_object_get(df, "BuildCache"), i, o)
			cache += docker_bytes(json_object_get(o, "Size"));
	return json_pack("{s:I, s:I, s:I, s:I}", "containers", containers,
			 "images", images, "volumes", volumes, "build-cache",
			 cache);
}
