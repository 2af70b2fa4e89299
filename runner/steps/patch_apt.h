/*
 * The Debian/Ubuntu side of the patch-check step: what apt would upgrade,
 * which of it comes from a security suite, what is held, whether a reboot
 * is required. apt's own tools answer (apt-get -s, apt-mark, apt-cache
 * policy), run by argv with LC_ALL=C, never through a shell; their output
 * is parsed here, and the parsers are separate so they can be tested on
 * captured outputs of other releases.
 */
#ifndef UPKEEP_STEPS_PATCH_APT_H
#define UPKEEP_STEPS_PATCH_APT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/strv.h"

/* One package apt knows a newer version of. */
struct patch_apt_pkg {
	char *name;
	char *installed;	/* "" when not installed */
	char *candidate;
	char *arch;		/* "amd64", or "" */
	struct strv origins;	/* "Debian-Security:12/oldstable-security" */
	bool security;		/* a candidate origin is a security suite */
	bool held;		/* on hold (apt-mark) or kept back */
};

struct patch_apt {
	struct patch_apt_pkg *pkgs;	/* upgradable, in apt's order */
	size_t n, cap;
	struct strv held;		/* apt-mark showhold */
	struct strv kept_back;		/* "have been kept back" */
	bool reboot_required;
	struct strv reboot_pkgs;	/* reboot-required.pkgs, unique */
	time_t lists_mtime;		/* newest file in the lists dir; 0: none */
};

/* One package of `apt-cache policy` output. */
struct patch_apt_policy {
	char *name;
	char *installed;		/* "(none)" when not installed */
	char *candidate;		/* "(none)" when there is none */
	bool candidate_security;	/* the candidate comes from a security suite */
	struct strv origins;		/* its sources: "bookworm-security/main" */
};

/* Where apt keeps things; the root prefix is a test hook (UPKEEP_APT_ROOT). */
#define PATCH_APT_REBOOT "/var/run/reboot-required"
#define PATCH_APT_LISTS "/var/lib/apt/lists"

/* True when an origin or archive string names a security suite. */
bool patch_apt_is_security(const char *origin);

/*
 * Parses `apt-get -s upgrade` output: each "Inst NAME [OLD] (NEW ORIGIN,
 * ORIGIN [ARCH])" line becomes a package (lines that do not parse are
 * skipped), and the "kept back" list is read. Appends to a.
 */
void patch_apt_parse_upgrade(const char *text, struct patch_apt *a);
/* One package name a line (apt-mark showhold), into out. */
void patch_apt_parse_names(const char *text, struct strv *out);
/*
 * Parses `apt-cache policy NAME...` output into *out (n entries; free with
 * patch_apt_policy_free). Returns how many.
 */
size_t patch_apt_parse_policy(const char *text, struct patch_apt_policy **out);
void patch_apt_policy_free(struct patch_apt_policy *p, size_t n);
/*
 * Reads root/var/run/reboot-required and .pkgs (root "" or NULL: /)
 * into a; a missing file means no reboot.
 */
void patch_apt_read_reboot(const char *root, struct patch_apt *a);
/* The newest mtime of root/var/lib/apt/lists/ files, 0 when none. */
time_t patch_apt_lists_mtime(const char *root);

/* How to run apt. */
struct patch_apt_opts {
	const char *root;	/* prefix for apt's state files; NULL: / */
	bool refresh;		/* apt-get update first */
	int64_t deadline_ms;	/* clock_mono_ms() limit */
	int64_t kill_grace_ms;
};

/*
 * Collects everything: apt-get update when refresh, apt-get -s upgrade,
 * apt-mark showhold, apt-cache policy of the held and kept-back packages
 * (they join pkgs, marked held, when they have a newer candidate), the
 * reboot files. Returns 0, or -1 with error_set() naming the command that
 * failed and its last output line; *timed_out tells a deadline.
 */
int patch_apt_collect(const struct patch_apt_opts *o, struct patch_apt *a,
		      bool *timed_out);
/*
 * apt-cache policy of names into *out (see patch_apt_parse_policy).
 * Returns how many, or -1 (error_set).
 */
int patch_apt_policy(const struct patch_apt_opts *o, const struct strv *names,
		     struct patch_apt_policy **out, bool *timed_out);
void patch_apt_free(struct patch_apt *a);

#endif
