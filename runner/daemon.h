/*
 * `upkeep daemon`: the foreground scheduler (for a systemd Type=simple
 * unit). It runs what `run --due` runs, then sleeps until the next window
 * opens. Reloads the config on SIGHUP, stops cleanly on SIGTERM/SIGINT.
 * Each pass runs in a child process, so that what a run loads (libpq,
 * libcurl, libgit2) does not stay in the idle daemon.
 */
#ifndef UPKEEP_DAEMON_H
#define UPKEEP_DAEMON_H

struct config_job;
struct engine_opts;
struct engine_outcome;

/*
 * Runs until stopped: 0 after a clean stop, -1 (error_set) when the
 * config cannot be loaded at the start. done(job, outcome, arg) hears how
 * each run ended (see engine_run_due()).
 */
int daemon_run(const char *root, const struct engine_opts *opts,
	       void (*done)(const struct config_job *job,
			    const struct engine_outcome *o, void *arg),
	       void *arg);

#endif
