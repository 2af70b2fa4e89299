/*
 * What every part of the engine shares (see engine.h for its files): how a
 * run is asked to stop (the signals), which of a job's windows is open or
 * opens next, and which outcomes carry a line for the command to print.
 * Not a run (run.c) nor anything that takes the lock or writes a record.
 */
#include "engine.h"

#include <signal.h>
#include <string.h>

#include "config.h"
#include "proc.h"
#include "util/strv.h"
#include "window.h"

volatile sig_atomic_t engine_stop;

/*
 * The first signal stops the run gracefully (the step's tree gets
 * SIGTERM, then SIGKILL after the grace period; nothing new starts); a
 * second one kills the tree at once. Either way the record is written.
 */
void engine_on_stop_signal(int sig)
{
	if (engine_stop) {
		proc_stop = PROC_STOP_NOW;
		return;
	}
	engine_stop = sig;
	proc_stop = PROC_STOP_GRACEFUL;
}

void engine_catch_signals_with(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a wait in progress (a step's poll, the daemon's
	 * sleep) must end and look at the flags. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	proc_signals_changed();
}

void engine_catch_signals(void)
{
	engine_catch_signals_with(engine_on_stop_signal);
}

const char *engine_signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	       sig == SIGHUP ? "SIGHUP" : "a signal";
}

bool engine_outcome_said(enum engine_result result)
{
	switch (result) {
	case ENGINE_OUTSIDE_WINDOW:
	case ENGINE_LOCK_HELD:
	case ENGINE_LOCK_FAILED:
	case ENGINE_NOT_TRACKED:
	case ENGINE_NO_TARGET:
		return true;
	default:
		return false;
	}
}

const struct config_window *engine_open_window(const struct config *cfg,
					       const struct strv *names,
					       time_t t, struct window_occ *occ)
{
	for (size_t i = 0; i < names->n; i++) {
		const struct config_window *w =
			config_window_find(cfg, names->v[i]);

		if (w && window_open_at(w, t, occ))
			return w;
	}
	return NULL;
}

const struct config_window *engine_next_window(const struct config *cfg,
					       const struct config_job *job,
					       time_t after,
					       struct window_occ *occ)
{
	const struct config_window *best = NULL;
	struct window_occ o;

	for (size_t i = 0; i < job->windows.n; i++) {
		const struct config_window *w =
			config_window_find(cfg, job->windows.v[i]);

		if (w && window_next(w, after, &o) == 0 &&
		    (!best || o.start < occ->start)) {
			best = w;
			*occ = o;
		}
	}
	return best;
}
