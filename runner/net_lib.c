/*
 * libcurl, loaded when first needed (see util/lazylib.h): net_lib and
 * one stub per libcurl function upkeep calls. Not linked at start: its
 * thirty-odd libraries (two TLS stacks, LDAP, RTMP) are for the steps
 * and checks that talk HTTP, not for `upkeep check` or an idle daemon.
 * net_init() loads it; every handle comes from net.c, so nothing calls
 * libcurl before that.
 */
#define CURL_DISABLE_TYPECHECK	/* its macros would rename the stubs */
#include "net.h"

#include <curl/curl.h>
#include <stdarg.h>

#include "util/lazylib.h"

struct lazylib net_lib = {
	.soname = "libcurl.so.4",
	.package = "libcurl4",
	.needed_for = "HTTP checks, webhooks, Docker and registry steps",
};

int net_lib_load(void)
{
	return lazylib_load(&net_lib);
}

#define CURL_FN(ret, name, params, args) \
	LAZYLIB_FN(net_lib, ret, name, params, args)
#define CURL_FNV(name, params, args) LAZYLIB_VOID(net_lib, name, params, args)

CURL_FNV(curl_easy_cleanup, (CURL *a), (a))
CURL_FN(char *, curl_easy_escape, (CURL *a, const char *b, int c), (a, b, c))
CURL_FN(CURL *, curl_easy_init, (void), ())
CURL_FN(CURLcode, curl_easy_perform, (CURL *a), (a))
CURL_FNV(curl_easy_reset, (CURL *a), (a))
CURL_FN(const char *, curl_easy_strerror, (CURLcode a), (a))
CURL_FNV(curl_free, (void *a), (a))
CURL_FNV(curl_global_cleanup, (void), ())
CURL_FN(CURLcode, curl_global_init, (long int a), (a))
CURL_FN(struct curl_slist *, curl_slist_append, (struct curl_slist *a,
	const char *b), (a, b))
CURL_FNV(curl_slist_free_all, (struct curl_slist *a), (a))

/*
 * The two variadic calls. An option's number says the type of its one
 * argument (curl.h's CURLOPTTYPE_* ranges): long, a pointer (data or
 * callback), curl_off_t, or a struct curl_blob pointer. Every
 * curl_easy_getinfo() argument is a pointer to where the answer goes.
 */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	static void *cached;
	CURLcode (*fn)(CURL *, CURLoption, ...) = (CURLcode (*)(CURL *,
		CURLoption, ...))lazylib_fn(&net_lib, &cached,
					    "curl_easy_setopt");
	CURLcode rc;
	va_list ap;

	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = fn(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = fn(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_BLOB)
		rc = fn(curl, option, va_arg(ap, curl_off_t));
	else
		rc = fn(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	static void *cached;
	CURLcode (*fn)(CURL *, CURLINFO, ...) = (CURLcode (*)(CURL *,
		CURLINFO, ...))lazylib_fn(&net_lib, &cached,
					  "curl_easy_getinfo");
	CURLcode rc;
	va_list ap;

	va_start(ap, info);
	rc = fn(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}
