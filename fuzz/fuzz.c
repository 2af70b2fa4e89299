/* The helpers of fuzz.h, linked into every target. */
#include "fuzz.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *scratch;

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void fuzz_cleanup(void)
{
	if (scratch)
		nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_tmpdir(const char *target)
{
	const char *base = getenv("TMPDIR");
	char *t;

	if (scratch)
		return scratch;
	if (asprintf(&t, "%s/upkeep-fuzz-%s.XXXXXX", base && *base ? base :
		     "/tmp", target) < 0 || !mkdtemp(t)) {
		perror("fuzz: cannot create a scratch directory");
		abort();
	}
	scratch = t;
	atexit(fuzz_cleanup);
	return scratch;
}

void fuzz_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}
