/*
 * `upkeep daemon`: the foreground scheduler (for a systemd Type=simple
 * unit). It runs what `run --due` runs, then sleeps until the next window
 * opens. Reloads the config on SIGHUP, stops cleanly on SIGTERM/SIGINT.
 */
#ifndef UPKEEP_DAEMON_H
#define UPKEEP_DAEMON_H

struct engine_opts;

/* Runs until stopped; returns the exit code (0 after a clean stop). */
int daemon_run(const char *root, const struct engine_opts *opts);

#endif
