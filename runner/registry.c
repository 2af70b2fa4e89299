/*
 * The OCI distribution API client: references, WWW-Authenticate
 * challenges, config.json credentials and the HEAD of a manifest. libcurl
 * and jansson do the work; this file words their failures once, naming
 * the registry and the image, and keeps every request inside the
 * caller's deadline.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "net.h"
#include "registry.h"
#include "util/base64.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/sha256.h"

/* A manifest or index is small; anything bigger is not one. */
#define REGISTRY_BODY_MAX (4u * 1024 * 1024)

/* What `docker pull` accepts, index and list first (their digest is it). */
static const char registry_accept[] =
	"Accept: application/vnd.oci.image.index.v1+json, "
	"application/vnd.docker.distribution.manifest.list.v2+json, "
	"application/vnd.docker.distribution.manifest.v2+json, "
	"application/vnd.oci.image.manifest.v1+json";

/* ---- references ---------------------------------------------------------- */

static bool ref_name_ok(const char *s)
{
	bool sep = true;	/* a separator may not start a component */

	if (!*s)
		return false;
	for (; *s; s++) {
		if (islower((unsigned char)*s) || isdigit((unsigned char)*s)) {
			sep = false;
		} else if (*s == '.' || *s == '_' || *s == '-' || *s == '/') {
			if (sep)
				return false;
			sep = true;
		} else {
			return false;
		}
	}
	return !sep;
}

static bool ref_tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

bool registry_digest_valid(const char *s)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t want;

	if (!colon)
		return false;
	if (colon - s == 6 && !strncmp(s, "sha256", 6))
		want = 64;
	else if (colon - s == 6 && !strncmp(s, "sha512", 6))
		want = 128;
	else
		return false;
	if (strlen(colon + 1) != want)
		return false;
	for (s = colon + 1; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
	return true;
}

int registry_ref_parse(const char *s, struct registry_ref *ref)
{
	char *copy = xstrdup(s), *name = copy, *at, *slash, *colon;

	memset(ref, 0, sizeof(*ref));
	at = strchr(copy, '@');
	if (at) {
		*at = '\0';
		if (!registry_digest_valid(at + 1)) {
			error_set("image '%s': '%s' is not a digest (sha256:"
				  "<64 hex digits>)", s, at + 1);
			goto fail;
		}
		ref->digest = xstrdup(at + 1);
	}
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', (size_t)(slash - name)) ||
		      memchr(name, ':', (size_t)(slash - name)) ||
		      (slash - name == 9 && !strncmp(name, "localhost", 9)))) {
		*slash = '\0';
		ref->registry = xstrdup(name);
		name = slash + 1;
	} else {
		ref->registry = xstrdup(REGISTRY_DOCKER_HUB);
	}
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		if (!ref_tag_ok(colon + 1)) {
			error_set("image '%s': '%s' is not a valid tag", s,
				  colon + 1);
			goto fail;
		}
		ref->tag = xstrdup(colon + 1);
	} else if (!ref->digest) {
		ref->tag = xstrdup("latest");
	}
	if (!ref_name_ok(name) || !*ref->registry) {
		error_set("image '%s': '%s' is not a valid repository name "
			  "(lowercase letters, digits and . _ - / between them)",
			  s, name);
		goto fail;
	}
	if (!strcmp(ref->registry, REGISTRY_DOCKER_HUB) && !strchr(name, '/'))
		ref->repo = xasprintf("library/%s", name);
	else
		ref->repo = xstrdup(name);
	free(copy);
	return 0;
fail:
	free(copy);
	registry_ref_free(ref);
	return -1;
}

void registry_ref_free(struct registry_ref *ref)
{
	free(ref->registry);
	free(ref->repo);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

char *registry_ref_name(const struct registry_ref *ref)
{
	return xasprintf("%s/%s", ref->registry, ref->repo);
}

char *registry_ref_string(const struct registry_ref *ref)
{
	return ref->tag ? xasprintf("%s/%s:%s", ref->registry, ref->repo,
				    ref->tag) :
	       xasprintf("%s/%s@%s", ref->registry, ref->repo, ref->digest);
}

/* ---- WWW-Authenticate ---------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool is_tchar(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c));
}

/*
 * One auth-param at p: name=token or name="quoted". Sets *name, *value
 * (allocated) and returns the position after it, or NULL when p holds
 * none (then p may start the next challenge's scheme).
 */
static const char *auth_param(const char *p, char **name, char **value)
{
	const char *n = p, *v;
	char *out;
	size_t len = 0;

	while (is_tchar(*p))
		p++;
	if (p == n)
		return NULL;
	v = skip_ws(p);
	if (*v != '=')
		return NULL;
	*name = xstrndup(n, (size_t)(p - n));
	v = skip_ws(v + 1);
	if (*v == '"') {
		out = xmalloc(strlen(v) + 1);
		for (v++; *v && *v != '"'; v++) {
			if (*v == '\\' && v[1])
				v++;
			out[len++] = *v;
		}
		out[len] = '\0';
		if (*v == '"')
			v++;
	} else {
		const char *s = v;

		while (is_tchar(*v) || *v == '/' || *v == ':')
			v++;
		out = xstrndup(s, (size_t)(v - s));
	}
	*value = out;
	return v;
}

int registry_challenge_parse(const char *value, struct registry_challenge *c)
{
	const char *p = value ? value : "";
	bool have = false;

	memset(c, 0, sizeof(*c));
	while (*(p = skip_ws(p))) {
		struct registry_challenge cur = { 0 };
		const char *s = p;

		while (is_tchar(*p))
			p++;
		if (p == s || (size_t)(p - s) >= sizeof(cur.scheme)) {
			/* Not a scheme: skip to the next comma. */
			p = strchr(p + (p == s), ',');
			if (!p)
				break;
			p++;
			continue;
		}
		memcpy(cur.scheme, s, (size_t)(p - s));
		for (;;) {
			char *name = NULL, *val = NULL;
			const char *q = skip_ws(p);
			const char *next;

			if (*q == ',')
				q = skip_ws(q + 1);
			next = auth_param(q, &name, &val);
			if (!next)
				break;
			p = next;
			if (!strcasecmp(name, "realm"))
				free(cur.realm), cur.realm = val;
			else if (!strcasecmp(name, "service"))
				free(cur.service), cur.service = val;
			else if (!strcasecmp(name, "scope"))
				free(cur.scope), cur.scope = val;
			else if (!strcasecmp(name, "error"))
				free(cur.error), cur.error = val;
			else
				free(val);
			free(name);
		}
		p = skip_ws(p);
		if (*p == ',')
			p++;
		if (!have || (strcasecmp(c->scheme, "Bearer") &&
			      !strcasecmp(cur.scheme, "Bearer"))) {
			registry_challenge_free(c);
			*c = cur;
			have = true;
		} else {
			registry_challenge_free(&cur);
		}
	}
	if (!have)
		return error_set("WWW-Authenticate '%.100s' holds no challenge",
				 value ? value : "");
	return 0;
}

void registry_challenge_free(struct registry_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

/* ---- config.json --------------------------------------------------------- */

static char *config_default_path(void)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (dir && *dir)
		return xasprintf("%s/config.json", dir);
	if (home && *home)
		return xasprintf("%s/.docker/config.json", home);
	return NULL;
}

/* The auths entry for registry, trying the spellings the CLI writes. */
static json_t *auths_entry(json_t *auths, const char *registry)
{
	const char *key;
	json_t *v;

	if (!strcmp(registry, REGISTRY_DOCKER_HUB)) {
		v = json_object_get(auths, "https://index.docker.io/v1/");
		if (v)
			return v;
	}
	json_object_foreach(auths, key, v) {
		const char *k = key;
		size_t n = strlen(registry);

		if (!strncmp(k, "https://", 8))
			k += 8;
		else if (!strncmp(k, "http://", 7))
			k += 7;
		if (!strncmp(k, registry, n) && (k[n] == '\0' || k[n] == '/'))
			return v;
	}
	return NULL;
}

int registry_auth_from_json(const json_t *root, const char *file,
			    const char *registry, char **user, char **password)
{
	const char *auth, *u, *p;
	json_t *e;

	*user = *password = NULL;
	e = auths_entry(json_object_get(root, "auths"), registry);
	if (!e)
		return 0;
	auth = json_string_value(json_object_get(e, "auth"));
	u = json_string_value(json_object_get(e, "username"));
	p = json_string_value(json_object_get(e, "password"));
	if (auth && *auth) {
		size_t n;
		char *dec = base64_decode(auth, &n);
		/* A NUL inside would cut the user or the password short. */
		char *colon = dec && !memchr(dec, '\0', n) ? strchr(dec, ':') :
			NULL;

		if (!colon) {
			free(dec);
			return error_set("Docker config '%s': the 'auth' of '%s' "
					 "is not base64 of user:password; run "
					 "`docker login %s` again", file, registry,
					 registry);
		}
		*colon = '\0';
		*user = xstrdup(dec);
		*password = xstrdup(colon + 1);
		memset(dec, 0, strlen(*user) + 1 + strlen(*password));
		free(dec);
		return 1;
	}
	if (u && p) {
		*user = xstrdup(u);
		*password = xstrdup(p);
		return 1;
	}
	return 0;
}

int registry_auth_lookup(const char *path, const char *registry, char **user,
			 char **password)
{
	char *def = path ? NULL : config_default_path();
	const char *file = path ? path : def;
	json_error_t jerr;
	json_t *root = NULL;
	int rc = 0;

	*user = *password = NULL;
	if (!file)
		goto out;
	root = json_load_file(file, 0, &jerr);
	if (!root) {
		FILE *f = fopen(file, "r");

		if (!f && errno == ENOENT && !path)
			goto out;	/* no default config: anonymous */
		if (f)
			fclose(f);
		rc = error_set("cannot read Docker config '%s': %s%s", file,
			       jerr.text, jerr.line > 0 ? " (malformed JSON)" :
			       "");
		goto out;
	}
	rc = registry_auth_from_json(root, file, registry, user, password);
out:
	json_decref(root);
	free(def);
	return rc;
}

/* ---- HTTP ---------------------------------------------------------------- */

bool registry_is_insecure(const struct registry_opts *opts, const char *host)
{
	return opts->insecure && strv_contains(opts->insecure, host);
}

char *registry_base_url(const struct registry_opts *opts, const char *host)
{
	const char *api = strcmp(host, REGISTRY_DOCKER_HUB) ? host :
		REGISTRY_DOCKER_HUB_API;

	return xasprintf("%s://%s", registry_is_insecure(opts, host) ?
			 "http" : "https", api);
}

/* Frees a string that held a secret, wiping it first. */
static void free_secret(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

struct http_reply {
	long status;
	struct net_body body;
	struct registry_headers h;
};

static void http_reply_free(struct http_reply *r)
{
	net_body_free(&r->body);
	registry_headers_free(&r->h);
	memset(r, 0, sizeof(*r));
}

void registry_headers_free(struct registry_headers *h)
{
	free(h->www_auth);
	memset(h, 0, sizeof(*h));
}

/* Copies the value of header line `name: value` when it is that header. */
static bool header_value(const char *line, size_t len, const char *name,
			 char *out, size_t outlen)
{
	size_t n = strlen(name), v;

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return false;
	line += n + 1;
	len -= n + 1;
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
		       line[len - 1] == ' '))
		len--;
	v = len < outlen ? len : outlen - 1;
	memcpy(out, line, v);
	out[v] = '\0';
	return true;
}

void registry_headers_add(struct registry_headers *h, const char *line,
			  size_t len)
{
	char buf[2048];

	/* A new status line (after a redirect or 100): forget the old. */
	if (len > 5 && !strncmp(line, "HTTP/", 5)) {
		h->digest[0] = h->content_type[0] = '\0';
		free(h->www_auth);
		h->www_auth = NULL;
	}
	header_value(line, len, "Docker-Content-Digest", h->digest,
		     sizeof(h->digest));
	header_value(line, len, "Content-Type", h->content_type,
		     sizeof(h->content_type));
	/*
	 * Several WWW-Authenticate headers are one list of challenges; a
	 * registry sending more than a few is not heard past 16 KiB.
	 */
	if (header_value(line, len, "WWW-Authenticate", buf, sizeof(buf)) &&
	    (!h->www_auth || strlen(h->www_auth) < 16384)) {
		char *all = h->www_auth ? xasprintf("%s, %s", h->www_auth, buf) :
			xstrdup(buf);

		free(h->www_auth);
		h->www_auth = all;
	}
}

static size_t http_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct http_reply *r = arg;

	registry_headers_add(&r->h, data, size * nitems);
	return size * nitems;
}

enum http_auth { HTTP_AUTH_NONE, HTTP_AUTH_BASIC, HTTP_AUTH_BEARER };

struct http_req {
	const char *method;		/* "HEAD" or "GET" */
	const char *url;
	const char *accept;		/* a whole header line, or NULL */
	enum http_auth auth;
	const char *user, *password;	/* basic */
	const char *token;		/* bearer */
	bool follow;			/* follow redirects (token realms) */
};

/*
 * One request within the deadline. Returns 0 with r filled when an HTTP
 * answer came, else -1 with *errbuf set from curl and ans->timed_out
 * when the deadline passed.
 */
static int http_do(const struct registry_opts *opts, const struct http_req *q,
		   struct http_reply *r, struct registry_answer *ans,
		   char *errbuf)
{
	struct net_opts o = {
		.url = q->url, .method = q->method, .follow = q->follow,
		.body = &r->body, .errbuf = errbuf,
		.timeout_ms = opts->request_timeout_ms,
	};
	struct curl_slist *headers = NULL;
	char *bearer = NULL;
	CURLcode rc;
	CURL *c;

	memset(r, 0, sizeof(*r));
	r->body.max = REGISTRY_BODY_MAX;
	errbuf[0] = '\0';
	if (opts->deadline_ms > 0) {
		int64_t left = opts->deadline_ms - clock_mono_ms();

		if (left <= 0) {
			ans->timed_out = true;
			snprintf(errbuf, CURL_ERROR_SIZE, "no time left");
			return -1;
		}
		if (o.timeout_ms <= 0 || o.timeout_ms > left)
			o.timeout_ms = left;
	}
	if (!(c = net_curl_new(&o))) {
		snprintf(errbuf, CURL_ERROR_SIZE, "%s", error_last());
		return -1;
	}
	if (q->accept)
		headers = curl_slist_append(headers, q->accept);
	if (q->auth == HTTP_AUTH_BEARER) {
		bearer = xasprintf("Authorization: Bearer %s", q->token);
		headers = curl_slist_append(headers, bearer);
	} else if (q->auth == HTTP_AUTH_BASIC) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, q->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, q->password);
	}
	if (headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	free_secret(bearer);
	if (rc == CURLE_WRITE_ERROR && r->body.capped) {
		snprintf(errbuf, CURL_ERROR_SIZE, "the answer is larger than "
			 "%u MiB", REGISTRY_BODY_MAX >> 20);
		return -1;
	}
	if (rc != CURLE_OK) {
		if (rc == CURLE_OPERATION_TIMEDOUT)
			ans->timed_out = true;
		if (!errbuf[0])
			snprintf(errbuf, CURL_ERROR_SIZE, "%s",
				 curl_easy_strerror(rc));
		return -1;
	}
	ans->status = r->status;
	return 0;
}

/* Where the realm is, for messages (no query string: it may hold a scope). */
static void url_host(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	snprintf(out, len, "%.*s", (int)n, p);
}

/* True when credentials for registry may go to realm: HTTPS or the same host. */
static bool realm_may_get_credentials(const char *realm, const char *registry)
{
	char host[256];

	if (!strncmp(realm, "https://", 8))
		return true;
	url_host(realm, host, sizeof(host));
	return !strcmp(host, registry);
}

/* Gets a Bearer token for the challenge. Returns it (free it), or NULL. */
static char *fetch_token(const struct registry_opts *opts,
			 const struct registry_ref *ref,
			 const struct registry_challenge *ch, const char *user,
			 const char *password, struct registry_answer *ans,
			 const char *image)
{
	char errbuf[CURL_ERROR_SIZE], host[256], *url, *scope_owned = NULL;
	const char *scope = ch->scope;
	struct http_reply r;
	char *token = NULL, *es, *ev;

	if (!ch->realm || strncmp(ch->realm, "http", 4)) {
		error_set("%s: registry '%s' asks for a Bearer token without a "
			  "usable realm (WWW-Authenticate realm '%s')", image,
			  ref->registry, ch->realm ? ch->realm : "");
		return NULL;
	}
	if (!scope)
		scope = scope_owned = xasprintf("repository:%s:pull", ref->repo);
	ev = net_escape(ch->service ? ch->service : "");
	es = net_escape(scope);
	url = xasprintf("%s%sservice=%s&scope=%s", ch->realm,
			strchr(ch->realm, '?') ? "&" : "?", ev, es);
	free(ev);
	free(es);
	free(scope_owned);
	url_host(ch->realm, host, sizeof(host));
	{
		bool creds = user && realm_may_get_credentials(ch->realm,
							       ref->registry);
		struct http_req q = {
			.method = "GET", .url = url, .follow = true,
			.auth = creds ? HTTP_AUTH_BASIC : HTTP_AUTH_NONE,
			.user = user, .password = password,
		};

		if (creds)
			ans->used_credentials = true;
		if (http_do(opts, &q, &r, ans, errbuf) < 0) {
			error_set("%s: cannot get a token from '%s' (the realm of "
				  "registry '%s'): %s", image, host, ref->registry,
				  ans->timed_out ? "out of time" : errbuf);
			goto out;
		}
	}
	if (r.status == 401 || r.status == 403) {
		error_set("%s: token server '%s' refused %s (HTTP %ld): %s",
			  image, host, ans->used_credentials ? "the credentials "
			  "from the Docker config" : "anonymous access",
			  r.status, ans->used_credentials ? "check them with "
			  "`docker login`" : "log in with `docker login` so "
			  "config.json holds credentials for this registry");
		goto out;
	}
	if (r.status != 200) {
		error_set("%s: token server '%s' answered HTTP %ld", image, host,
			  r.status);
		goto out;
	}
	token = registry_token_parse(r.body.buf ? r.body.buf : "", r.body.len);
	if (!token)
		error_set("%s: token server '%s' sent no token (expected JSON "
			  "with 'token' or 'access_token')", image, host);
out:
	if (r.body.buf)
		memset(r.body.buf, 0, r.body.len);
	http_reply_free(&r);
	free(url);
	return token;
}

char *registry_token_parse(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *t = json_string_value(json_object_get(j, "token"));
	char *token = NULL;

	if (!t || !*t)
		t = json_string_value(json_object_get(j, "access_token"));
	/* A token goes into a header line: none with a line break. */
	if (t && *t && !strpbrk(t, "\r\n"))
		token = xstrdup(t);
	json_decref(j);
	return token;
}

static bool manifest_type_ok(const char *ct)
{
	static const char *const types[] = {
		"application/vnd.oci.image.index.v1+json",
		"application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.v1+prettyjws",
		"application/vnd.docker.distribution.manifest.v1+json",
		NULL,
	};

	for (size_t i = 0; types[i]; i++)
		if (!strncmp(ct, types[i], strlen(types[i])))
			return true;
	return false;
}

int registry_manifest_digest(const char *body, size_t len, char *out,
			     size_t outlen)
{
	char hex[SHA256_HEX_SIZE];
	json_t *j = json_loadb(body, len, 0, NULL);
	bool ok = json_is_object(j) &&
		  json_is_integer(json_object_get(j, "schemaVersion")) &&
		  (json_object_get(j, "manifests") ||
		   json_object_get(j, "layers") ||
		   json_object_get(j, "fsLayers"));

	json_decref(j);
	if (!ok)
		return -1;
	sha256_hex_of(body, len, hex);
	snprintf(out, outlen, "sha256:%s", hex);
	return 0;
}

/* The digest of a manifest body, checking it looks like one. */
static int body_digest(const struct http_reply *r, const char *image,
		       const char *registry, char *out, size_t len)
{
	if (registry_manifest_digest(r->body.buf ? r->body.buf : "",
				     r->body.len, out, len) < 0)
		return error_set("%s: registry '%s' answered with something that "
				 "is not an image manifest (Content-Type '%s')",
				 image, registry, r->h.content_type);
	return 0;
}

/* The message for an answer that is not 200, after authentication. */
static int status_error(const struct registry_ref *ref, const char *image,
			const struct http_reply *r,
			const struct registry_answer *ans, bool have_creds)
{
	if (r->status == 401 || r->status == 403)
		return error_set("%s: registry '%s' refused access (HTTP %ld) "
				 "%s", image, ref->registry, r->status,
				 have_creds ? "with the credentials from the "
				 "Docker config: check them with `docker login`" :
				 "without credentials: log in with `docker "
				 "login` so config.json holds credentials for "
				 "it");
	if (r->status == 404)
		return error_set("%s: registry '%s' has no tag '%s' in "
				 "repository '%s' (HTTP 404): check the image "
				 "name", image, ref->registry, ref->tag, ref->repo);
	if (r->status == 429)
		return error_set("%s: registry '%s' is rate limiting (HTTP 429): "
				 "try later or log in", image, ref->registry);
	(void)ans;
	return error_set("%s: registry '%s' answered HTTP %ld", image,
			 ref->registry, r->status);
}

/* One registry_digest() call's state, shared by its stages. */
struct digest_lookup {
	const struct registry_opts *opts;
	const struct registry_ref *ref;
	struct registry_answer *ans;
	char *image;			/* the reference, for messages */
	char *url;			/* the manifest's */
	char *user, *password;		/* from the Docker config, or NULL */
	int creds;			/* registry_auth_lookup(): 1 when found */
	char *token;			/* a Bearer token, once fetched */
	struct registry_challenge ch;
	struct http_req q;
	struct http_reply r;
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * Answers a 401's challenge once: a Bearer token, or the Basic
 * credentials. 1 when q now authenticates (ask again), 0 when there is
 * nothing to answer with, -1 (error_set) on failure.
 */
static int digest_authenticate(struct digest_lookup *lk)
{
	const struct registry_ref *ref = lk->ref;

	if (registry_challenge_parse(lk->r.h.www_auth, &lk->ch) < 0)
		return error_set("%s: registry '%s' wants authentication (HTTP "
				 "401) but sent no usable WWW-Authenticate "
				 "challenge", lk->image, ref->registry);
	if (!strcasecmp(lk->ch.scheme, "Bearer")) {
		lk->token = fetch_token(lk->opts, ref, &lk->ch, lk->creds ?
					lk->user : NULL, lk->password, lk->ans,
					lk->image);
		if (!lk->token)
			return -1;
		lk->q.auth = HTTP_AUTH_BEARER;
		lk->q.token = lk->token;
		snprintf(lk->ans->auth, sizeof(lk->ans->auth), "bearer");
		return 1;
	}
	if (!strcasecmp(lk->ch.scheme, "Basic") && lk->creds) {
		lk->q.auth = HTTP_AUTH_BASIC;
		lk->q.user = lk->user;
		lk->q.password = lk->password;
		lk->ans->used_credentials = true;
		snprintf(lk->ans->auth, sizeof(lk->ans->auth), "basic");
		return 1;
	}
	return 0;
}

/* HEAD of the manifest, authenticating when asked to. 0 or -1. */
static int digest_head(struct digest_lookup *lk)
{
	const struct registry_ref *ref = lk->ref;
	int rc;

	for (int round = 0; round < 3; round++) {
		lk->q.method = "HEAD";
		http_reply_free(&lk->r);
		if (http_do(lk->opts, &lk->q, &lk->r, lk->ans, lk->errbuf) < 0) {
			if (lk->ans->timed_out)
				return error_set("%s: registry '%s' did not "
						 "answer in time (%s): %s",
						 lk->image, ref->registry,
						 lk->url, lk->errbuf);
			return error_set("%s: cannot reach registry '%s' (%s): "
					 "%s%s", lk->image, ref->registry,
					 lk->url, lk->errbuf,
					 registry_is_insecure(lk->opts,
					 ref->registry) ? "" : "; if it speaks "
					 "plain HTTP, list it in "
					 "'insecure_registries'");
		}
		if (lk->r.status != 401 || lk->q.auth != HTTP_AUTH_NONE)
			break;
		/* 401: answer the challenge once. */
		rc = digest_authenticate(lk);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	return 0;
}

/* The digest from the HEAD's Docker-Content-Digest header. 0 or -1. */
static int digest_from_header(struct digest_lookup *lk)
{
	const struct registry_headers *h = &lk->r.h;

	if (!registry_digest_valid(h->digest))
		return error_set("%s: registry '%s' sent a malformed "
				 "Docker-Content-Digest '%.80s'", lk->image,
				 lk->ref->registry, h->digest);
	if (h->content_type[0] && !manifest_type_ok(h->content_type))
		return error_set("%s: registry '%s' answered with Content-Type "
				 "'%s', not an image manifest", lk->image,
				 lk->ref->registry, h->content_type);
	snprintf(lk->ans->digest, sizeof(lk->ans->digest), "%s", h->digest);
	return 0;
}

/* No digest header: GET the manifest and hash it. 0 or -1. */
static int digest_from_body(struct digest_lookup *lk)
{
	lk->q.method = "GET";
	http_reply_free(&lk->r);
	if (http_do(lk->opts, &lk->q, &lk->r, lk->ans, lk->errbuf) < 0)
		return error_set("%s: registry '%s': GET %s: %s", lk->image,
				 lk->ref->registry, lk->url, lk->ans->timed_out ?
				 "out of time" : lk->errbuf);
	if (lk->r.status != 200)
		return status_error(lk->ref, lk->image, &lk->r, lk->ans,
				    lk->creds > 0);
	snprintf(lk->ans->media_type, sizeof(lk->ans->media_type), "%s",
		 lk->r.h.content_type);
	return body_digest(&lk->r, lk->image, lk->ref->registry,
			   lk->ans->digest, sizeof(lk->ans->digest));
}

int registry_digest(const struct registry_opts *opts,
		    const struct registry_ref *ref, struct registry_answer *ans)
{
	struct digest_lookup lk = {
		.opts = opts, .ref = ref, .ans = ans,
		.q = { .accept = registry_accept },
	};
	char *base = NULL;
	int rc = -1;

	memset(ans, 0, sizeof(*ans));
	snprintf(ans->auth, sizeof(ans->auth), "none");
	lk.image = registry_ref_string(ref);
	if (!ref->tag) {
		error_set("%s: pinned by digest, no tag to compare", lk.image);
		goto out;
	}
	lk.creds = registry_auth_lookup(opts->docker_config, ref->registry,
					&lk.user, &lk.password);
	if (lk.creds < 0)
		goto out;
	base = registry_base_url(opts, ref->registry);
	lk.url = xasprintf("%s/v2/%s/manifests/%s", base, ref->repo, ref->tag);
	lk.q.url = lk.url;
	if (digest_head(&lk) < 0)
		goto out;
	if (lk.r.status != 200) {
		status_error(ref, lk.image, &lk.r, ans, lk.creds > 0);
		goto out;
	}
	snprintf(ans->media_type, sizeof(ans->media_type), "%s",
		 lk.r.h.content_type);
	rc = lk.r.h.digest[0] ? digest_from_header(&lk) :
		digest_from_body(&lk);
out:
	free_secret(lk.token);
	free_secret(lk.password);
	free(lk.user);
	registry_challenge_free(&lk.ch);
	http_reply_free(&lk.r);
	free(base);
	free(lk.url);
	free(lk.image);
	return rc;
}
