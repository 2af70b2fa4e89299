/*
 * dlopen() on first need; see lazylib.h. The message for a missing
 * library says which one, what it is for and which Debian package to
 * install, with dlerror()'s reason (not found, wrong architecture,
 * missing symbol version).
 */
#include "util/lazylib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

int lazylib_load(struct lazylib *l)
{
	const char *why;

	void *h;

	if (__atomic_load_n(&l->handle, __ATOMIC_ACQUIRE))
		return 0;
	/* RTLD_NOW: a library whose own dependencies are missing fails
	 * here, with dlerror()'s reason, not at some later call. */
	h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (h) {
		__atomic_store_n(&l->handle, h, __ATOMIC_RELEASE);
		return 0;
	}
	why = dlerror();
	return error_set("cannot load %s, which %s need (%s); install the "
			 "Debian package %s", l->soname, l->needed_for,
			 why ? why : "unknown reason", l->package);
}

bool lazylib_loaded(const struct lazylib *l)
{
	return __atomic_load_n(&l->handle, __ATOMIC_ACQUIRE) != NULL;
}

/* The address of name in l, loading l first; never NULL (it aborts). */
static void *lazylib_sym(struct lazylib *l, const char *name)
{
	void *p;

	if (lazylib_load(l) < 0) {
		fprintf(stderr, "upkeep: %s\n", error_last());
		abort();
	}
	p = dlsym(__atomic_load_n(&l->handle, __ATOMIC_ACQUIRE), name);
	if (!p) {
		const char *why = dlerror();

		fprintf(stderr, "upkeep: %s has no %s (%s); install the "
			"version of the Debian package %s upkeep was built "
			"for\n", l->soname, name, why ? why : "not found",
			l->package);
		abort();
	}
	return p;
}

void *lazylib_fn(struct lazylib *l, void **cache, const char *name)
{
	void *p = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

	if (!p) {
		p = lazylib_sym(l, name);
		__atomic_store_n(cache, p, __ATOMIC_RELEASE);
	}
	return p;
}
