/*
 * Shared libraries loaded when first needed, not at start. libpq, libcurl,
 * libgit2 and libcrypto pull in some forty libraries (three TLS stacks)
 * whose relocations cost most of a short command's time and most of an
 * idle daemon's memory; `upkeep check`, `next` or `--version` use none of
 * them. Each library's adapter (pg_lib.c, net_lib.c, stable_lib.c,
 * util/sha256_lib.c) defines, for every function upkeep calls, a stub of
 * the same name and prototype that forwards to the real function, found
 * with dlsym() on first call (the library's own header is included there,
 * so the compiler checks each stub against the real prototype). Callers
 * are unchanged; upkeep is not linked to these libraries at all.
 *
 * The adapter's entry points (connecting, a new curl handle, opening a
 * repository) call lazylib_load() first, so a missing library is an
 * ordinary error naming it and its Debian package. A stub reached without
 * that (a broken invariant) prints the same message and aborts.
 *
 * Threads: a stub may be called from any thread (docker.c sends requests
 * side by side). Two threads loading one library at once would each
 * dlopen() it, which is safe and only counts one reference twice.
 */
#ifndef UPKEEP_UTIL_LAZYLIB_H
#define UPKEEP_UTIL_LAZYLIB_H

#include <stdbool.h>

struct lazylib {
	const char *soname;	/* what dlopen() looks for: "libpq.so.5" */
	const char *package;	/* the Debian package that ships it */
	const char *needed_for;	/* for the message: "PostgreSQL steps and checks" */
	void *handle;		/* dlopen()'s, NULL until loaded */
};

/* Loads l once: 0, or -1 with error_set() naming the library and package. */
int lazylib_load(struct lazylib *l);

/* Whether l is loaded already (nothing is loaded by asking). */
bool lazylib_loaded(const struct lazylib *l);

/*
 * The address of name in l, loading l first, looked up once and kept in
 * *cache: what every stub calls. Never NULL: a missing library or symbol
 * aborts with a message. The cache is read and written atomically:
 * docker.c's side-by-side requests call libcurl from several threads
 * (dlsym() is thread-safe; two threads looking up one name store the
 * same address).
 */
void *lazylib_fn(struct lazylib *l, void **cache, const char *name);

/*
 * One stub: a function of the library's name and prototype (params with
 * names, args the same names) forwarding to the real one.
 */
#define LAZYLIB_FN(lib, ret, name, params, args)			\
	ret name params							\
	{								\
		static void *cached;					\
									\
		return ((ret (*) params)lazylib_fn(&lib, &cached,	\
						    #name)) args;	\
	}

/*
 * The void ones are the libraries' frees and resets, of objects only the
 * library makes: with the library not loaded there is none (a cleanup
 * path freeing NULL after the load failed), so there is nothing to do.
 */
#define LAZYLIB_VOID(lib, name, params, args)				\
	void name params						\
	{								\
		static void *cached;					\
									\
		if (lazylib_loaded(&lib))				\
			((void (*) params)lazylib_fn(&lib, &cached,	\
						     #name)) args;	\
	}

/* "1.5" from 1 and 5: sonames and package names built from a header's
 * version macros, so they always match the header compiled against. */
#define LAZYLIB_STR_(x) #x
#define LAZYLIB_STR(x) LAZYLIB_STR_(x)

#endif
