/*
 * Typed reading of one YAML mapping of a config file: each getter names the
 * key it reads, converts the value (strings with ${VAR} interpolation,
 * durations, sizes, percentages, numbers, booleans, enums, lists) and adds a
 * file:line:col diagnostic when it is wrong. Every key a getter asked for is
 * remembered, so confmap_finish() can report the keys nobody asked for as
 * unknown, with a "did you mean" among the asked-for ones. The same reader
 * is handed to the step and check kinds' parse hooks, so their keys and the
 * common keys form one vocabulary.
 *
 * Getters return 1 when the key was set and converted, 0 when it is absent
 * (the output is left untouched, so callers preset defaults), -1 after a
 * diagnostic.
 */
#ifndef UPKEEP_CONFMAP_H
#define UPKEEP_CONFMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/strv.h"
#include "ytree.h"

struct config;
struct seen;

/* One config file being read: where its diagnostics go, what is known. */
struct confmap_file {
	/*
	 * The config being read, for the kinds' parse hooks; confmap itself
	 * uses only what follows (so it does not depend on config.h).
	 */
	struct config *cfg;
	struct strv *secrets;	/* secret values are collected here */
	/* Variables whose values are secret whatever their name says. */
	const struct strv *secret_vars;
	const char *root;	/* relative paths resolve against it */
	bool any_env;		/* an unset ${VAR} is "" (CONFIG_LOAD_ANY_ENV) */
	struct diags *diags;
	const char *file;	/* display name of the file being read */
	struct seen *seen;	/* names declared so far (config.c's) */
	const struct seen *windows; /* window names declared (config.c's) */
	/*
	 * What the file declares, kept even when the file has problems, so
	 * a CONFIG_LOAD_PARTIAL load can name the job it leaves out: the
	 * `job:` or `window:` name when it is a valid one (else NULL), and
	 * a job's `windows:` when readable. Owned; config.c frees them.
	 */
	char *declared;
	struct strv uses;
};

#define CONFMAP_MAX_KEYS 48
/* confmap_finish() stops listing a mapping's problems after this many. */
#define CONFMAP_MAX_ERRORS 20

struct confmap {
	struct confmap_file *ld;
	const struct ynode *node;	/* a YTREE_MAP */
	const char *what;		/* "step 'vacuum'": for messages */
	const char *known[CONFMAP_MAX_KEYS];
	size_t nknown;
	int errors;			/* diagnostics added through this map */
};

/* A "size or percentage" threshold such as min_free: 10% or 5GiB. */
struct confmap_amount {
	bool is_ratio;
	double percent;
	uint64_t bytes;
};

/* A key of this mapping that must be present. */
#define CONFMAP_REQUIRED 1

void confmap_init(struct confmap *m, struct confmap_file *ld,
		  const struct ynode *node, const char *what);

/* Adds a diagnostic at node's position (or the mapping's when NULL). */
void confmap_error(struct confmap *m, const struct ynode *node,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The raw value node of key, marking the key known; NULL when absent. */
const struct ynode *confmap_node(struct confmap *m, const char *key,
				 int flags);

int confmap_str(struct confmap *m, const char *key, int flags, char **out);
int confmap_bool(struct confmap *m, const char *key, int flags, bool *out);
int confmap_int(struct confmap *m, const char *key, int flags, long min,
		long max, long *out);
int confmap_number(struct confmap *m, const char *key, int flags, double min,
		   double max, double *out);
/* A duration in milliseconds, at least min_ms. */
int confmap_duration(struct confmap *m, const char *key, int flags,
		     int64_t min_ms, int64_t *out);
int confmap_size(struct confmap *m, const char *key, int flags,
		 uint64_t *out);
int confmap_ratio(struct confmap *m, const char *key, int flags,
		  double *out);
int confmap_amount(struct confmap *m, const char *key, int flags,
		   struct confmap_amount *out);
/* One of choices (a NULL-terminated list); *out is its index. */
int confmap_enum(struct confmap *m, const char *key, int flags,
		 const char *const *choices, int *out);
/*
 * Whole numbers from min to max, one or a list of 1 to max_n (exit codes,
 * HTTP statuses); *n is how many were stored in out.
 */
int confmap_intlist(struct confmap *m, const char *key, int flags, long min,
		    long max, int *out, size_t max_n, size_t *n);
/* A list of strings; a single string counts as a list of one. */
int confmap_strlist(struct confmap *m, const char *key, int flags,
		    struct strv *out);
/* A non-empty list of strings: an argv, never split by a shell. */
int confmap_argv(struct confmap *m, const char *key, int flags,
		 struct strv *out);
/* A path; a relative one is resolved against the config root. */
int confmap_path(struct confmap *m, const char *key, int flags, char **out);

/* What the names of a confmap_strmap() must look like. */
enum confmap_names {
	CONFMAP_NAMES_ENV,	/* environment variables: [A-Za-z_][A-Za-z0-9_]* */
	CONFMAP_NAMES_HEADER,	/* HTTP header field names (RFC 9110 tokens) */
};

/*
 * A mapping of names to strings (environment, headers): "K=V" entries.
 * The value of a secret-named variable and of a credential header
 * (Authorization, ...; see secret_header()) becomes a secret.
 */
int confmap_strmap(struct confmap *m, const char *key, int flags,
		   enum confmap_names names, struct strv *out);

/*
 * A PostgreSQL connection string (confmap_str) whose password becomes a
 * secret, or a list of them (confmap_strlist). For every key that holds a
 * DSN, so its password is redacted wherever it appears.
 */
/*
 * Adds value to secrets (redacted wherever upkeep writes text) unless it
 * is too short to redact safely or already there.
 */
void confmap_secret_add(struct strv *secrets, const char *value);
/* Adds the passwords a DSN holds, as written and decoded. */
void confmap_secret_dsn(struct strv *secrets, const char *dsn);

int confmap_dsn(struct confmap *m, const char *key, int flags, char **out);
int confmap_dsnlist(struct confmap *m, const char *key, int flags,
		    struct strv *out);

/*
 * Reports unknown and duplicate keys. Returns 0, or -1 when this mapping
 * had any problem (from the getters or from finish itself).
 */
int confmap_finish(struct confmap *m);

/*
 * Converts a scalar node to a string with ${VAR} interpolation. The value
 * of a variable whose name says it is secret (secret_name()) or that
 * upkeep.yaml's `secrets:` lists becomes a secret, redacted wherever it
 * would appear in output; other variables are shown as they are. Returns
 * 0, or -1 after a diagnostic.
 */
int confmap_expand(struct confmap_file *ld, const struct ynode *n, char **out);

#endif
