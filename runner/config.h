/*
 * The in-memory model of a config root: global settings (upkeep.yaml),
 * windows (schedules/NAME.yaml) and jobs (jobs/NAME.yaml), loaded with every
 * problem reported as a file:line:col diagnostic. This file knows the
 * common keys of steps and checks; each kind's own keys belong to the kind
 * (runner/steps/, runner/checks/).
 */
#ifndef UPKEEP_CONFIG_H
#define UPKEEP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "util/diag.h"
#include "util/strv.h"

struct step_kind;
struct check_kind;

/* Where a thing was declared, for messages at run time. */
struct config_pos {
	char *file;
	int line;
	int col;
};

/* What a webhook is told about (the `on:` list of a notify entry). */
enum {
	CONFIG_NOTIFY_START = 1 << 0,
	CONFIG_NOTIFY_SUCCESS = 1 << 1,
	CONFIG_NOTIFY_FAILURE = 1 << 2,	/* failed, interrupted, skipped-precheck */
	CONFIG_NOTIFY_ROLLBACK = 1 << 3,	/* rolled-back, rollback-failed */
	CONFIG_NOTIFY_MISSED = 1 << 4,
};

enum config_notify_format {
	CONFIG_NOTIFY_SLACK,		/* {"text": "..."}: Slack, Mattermost */
	CONFIG_NOTIFY_JSON,		/* the run record's summary */
};

/* One webhook of `notify:` (upkeep.yaml, or a job's own). */
struct config_notify {
	char *name;			/* for messages: the URL never is shown */
	char *url;			/* holds a token: a secret, redacted */
	enum config_notify_format format;
	unsigned events;		/* CONFIG_NOTIFY_* */
	struct config_pos pos;
};

struct config_notifies {
	struct config_notify *v;
	size_t n;
};

struct config_settings {
	char *state_dir;		/* locks, journal, run state */
	char *reports_dir;		/* run records and reports */
	char *snapshot_dir;		/* default snapshot destination */
	int64_t step_timeout_ms;	/* a step without timeout: */
	int64_t check_timeout_ms;	/* a check without timeout: */
	int64_t kill_grace_ms;		/* SIGTERM to SIGKILL */
	int64_t retry_delay_ms;		/* a step without retry_delay: */
	struct config_notifies notify;	/* webhooks for every job */
	char *metrics_textfile;		/* Prometheus textfile, or NULL */
	/* `secrets:`: names of variables whose values are secret whatever
	 * the name says (docs/secrets.md). */
	struct strv secret_vars;
};

struct config_date {
	int year, month, day;
};

struct config_window {
	char *name;
	char *start;			/* calendar spec, as written */
	struct calendar calendar;	/* start, parsed */
	char *timezone;			/* IANA name */
	int64_t duration_ms;
	int64_t cutoff_ms;		/* no step starts in the last cutoff */
	struct config_date *blackout;
	size_t nblackout;
	struct config_pos pos;
};

enum config_on_failure {
	CONFIG_ON_FAILURE_ABORT,
	CONFIG_ON_FAILURE_CONTINUE,
	CONFIG_ON_FAILURE_ROLLBACK,
};

struct config_check {
	char *name;
	const struct check_kind *kind;
	void *settings;			/* owned by kind */
	int64_t timeout_ms;
	int64_t retry_for_ms;		/* keep trying until it passes */
	struct config_pos pos;
};

struct config_checks {
	struct config_check *v;
	size_t n;
};

struct config_step {
	char *name;
	const struct step_kind *kind;
	void *settings;			/* owned by kind */
	int64_t timeout_ms;
	long retries;
	int64_t retry_delay_ms;
	enum config_on_failure on_failure;
	bool allow_overrun;		/* may run past the window's end */
	struct config_pos pos;
};

/*
 * A rollback runs, in order: before_restore on the broken files (e.g.
 * [docker-compose, down]), the restore of the files, then apply (e.g.
 * [docker-compose, up, -d]); both commands in the project directory
 * (repo, or project_dir inside it: a compose project's directory names
 * the compose project). rollback.c says what a failure of each does.
 */
struct config_tracked {
	char *repo;			/* git work tree, resolved */
	char *stable_ref;
	/* Relative to repo, normalised ("deploy/prod"), no "..": NULL when
	 * the commands run in repo itself. */
	char *project_dir;
	struct strv before_restore;	/* argv run before the files change */
	int64_t before_restore_timeout_ms;
	struct strv apply;		/* argv run after a rollback */
	int64_t apply_timeout_ms;
	long keep_runs;			/* run snapshot refs kept */
};

struct config_job {
	char *name;
	char *description;
	struct strv windows;		/* names; checked to exist */
	bool has_tracked;
	struct config_tracked tracked;
	struct config_checks prechecks;
	struct config_step *steps;
	size_t nsteps;
	struct config_checks validate;
	struct config_notifies notify;	/* the job's own, besides the global */
	struct config_pos pos;
};

/*
 * A job a CONFIG_LOAD_PARTIAL load left out because its file, or a window
 * it uses, has problems. The caller records it (a `config-error` run) so
 * someone notices; its diagnostics are in the load's diags as well.
 */
struct config_broken {
	/*
	 * The file's `job:` when it could be read and is a valid name, else
	 * the file's stem made a valid name (guessed is then true).
	 */
	char *job;
	bool guessed;
	char *file;			/* the job file, as in diagnostics */
	struct strv windows;		/* its `windows:`; empty when unreadable */
	/*
	 * The first diagnostic of the job file, "file:line:col: message";
	 * for a job whose own file is fine, the first of the broken window's
	 * file (so it names that file).
	 */
	char *problem;
	size_t nproblems;		/* diagnostics that exclude this job */
};

struct config {
	char *root;			/* the config root, as given (messages) */
	char *root_abs;			/* the same, absolute (resolving paths) */
	struct config_settings settings;
	struct config_window *windows;
	size_t nwindows;
	struct config_job *jobs;
	size_t njobs;
	/*
	 * Secret values, redacted from reports and logs: ${VAR}s whose name
	 * says so or that `secrets:` lists, DSN passwords, credential
	 * headers, webhook URLs (docs/secrets.md).
	 */
	struct strv secrets;
	int load_flags;			/* CONFIG_LOAD_* it was loaded with */
	struct config_broken *broken;	/* CONFIG_LOAD_PARTIAL: jobs left out */
	size_t nbroken;
};

/*
 * Chooses the config root: dir when given, else $UPKEEP_CONFIG, else
 * /etc/upkeep when it exists, else ".". Returns a new string.
 */
char *config_find_root(const char *dir);

/*
 * Loads everything under root. Returns 0 when there were no problems, -1
 * when d holds at least one; cfg is usable only on 0.
 */
int config_load(const char *root, struct config *cfg, struct diags *d);

/* Flags of config_load_flags(). */
enum {
	/*
	 * An unset ${VAR} expands to "" instead of being an error: for the
	 * commands that only read records and schedules (report, history,
	 * next), which must work without the run's secrets in the
	 * environment.
	 */
	CONFIG_LOAD_ANY_ENV = 1 << 0,
	/*
	 * For running due jobs (run --due, the daemon): a job file or window
	 * file with problems leaves out only the jobs it defines or that use
	 * that window, each listed in cfg->broken; the rest load. The load
	 * then returns 0 with diagnostics in d (log them). Problems outside
	 * job and window files (upkeep.yaml, the root itself) still fail it.
	 */
	CONFIG_LOAD_PARTIAL = 1 << 1,
};
int config_load_flags(const char *root, int flags, struct config *cfg,
		      struct diags *d);
void config_free(struct config *cfg);

const struct config_window *config_window_find(const struct config *cfg,
					       const char *name);
const struct config_job *config_job_find(const struct config *cfg,
					 const char *name);

/*
 * Resolves a path from the config against the absolute root (an absolute
 * path stays as it is).
 */
char *config_path(const struct config *cfg, const char *path);

/*
 * Adds value to the secrets (once; values shorter than SECRET_MIN_LEN are
 * ignored). For values in a secret position that the loader cannot see
 * as such by itself.
 */
void config_secret_add(struct config *cfg, const char *value);
/* Adds the password of a PostgreSQL connection string (see secret.h). */
void config_secret_dsn(struct config *cfg, const char *dsn);

/*
 * Returns a copy of s with every secret replaced by "<redacted>". Use it on
 * anything built from config values before it reaches a report or a log.
 */
char *config_redact(const struct config *cfg, const char *s);

/* Reading checks and steps is shared with the kinds that nest them. */
struct confmap_file;
struct ynode;
int config_parse_checks(struct confmap_file *ld, const struct ynode *list,
			const char *what, struct config_checks *out);
void config_checks_free(struct config_checks *c);

#endif
