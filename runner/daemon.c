/*
 * The scheduler loop; see daemon.h.
 *
 * How it keeps time. Every decision reads clock_now() (the wall clock read
 * with clock_gettime(), or the fixed clock of --now, which then runs on
 * from that instant). Each pass reads it once, before it runs what is due,
 * and looks for the next opening after that same reading: what is due is
 * decided from a reading at least as late (engine_run_due() reads the
 * clock itself), and an opening at or before the pass's reading counts as
 * open (window_open_at() includes the start), so whatever opened before
 * the next opening it sleeps for has been run. Computing "next" from a
 * later reading than "due" would lose any opening that falls between the
 * two: an opening that arrives while a job runs, or the very opening the
 * timer fired for when the due check still read the second before. An
 * opening that arrived while a job ran is in the past by the time the
 * pass ends: the next pass follows at once. Between
 * openings the daemon sleeps on an absolute CLOCK_REALTIME timerfd
 * (CLOCK_MONOTONIC under a fixed clock) that the kernel cancels when
 * someone sets the clock and fires on resume when the host slept past the
 * deadline, so it never oversleeps a window; and since an early wake-up
 * only makes it look again,
 * it never fires early either. While no window is near it does not wake at
 * all: no polling. What is due is decided by engine_run_due(): a job runs
 * at most once per window occurrence, a window that opened while the daemon
 * was stopped still runs in the time it has left, and one that closed
 * unrun is recorded as missed. DST is calendar.c's business: openings are
 * instants by the time they reach this loop.
 */
#include "daemon.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "history.h"
#include "log.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "window.h"

static volatile sig_atomic_t reload;

/*
 * SIGHUP reloads the config. SIGTERM or SIGINT stops the daemon: a run in
 * progress stops its step (SIGTERM to its tree, SIGKILL after the grace)
 * and is recorded as interrupted; a second one kills the step at once.
 */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		engine_on_stop_signal(sig);
}

/*
 * A job or window file with problems leaves out its own jobs, which
 * engine_run_due() records as config-error runs; a broken upkeep.yaml
 * fails the load.
 */
static int load(const char *root, struct config *cfg)
{
	struct diags d = { 0 };
	int rc = config_load_flags(root, CONFIG_LOAD_PARTIAL, cfg, &d);

	if (rc < 0) {
		diags_print(&d, stderr);
		config_free(cfg);
	} else if (d.n) {
		diags_print(&d, stderr);
		log_msg(LOG_ERROR, NULL, "%zu job%s left out for the problems "
			"above; the others are scheduled (see 'upkeep check')",
			cfg->nbroken, cfg->nbroken == 1 ? " is" : "s are");
	}
	diags_free(&d);
	return rc;
}

/*
 * The earliest opening of any window after now; 0 when none opens again.
 * now is the reading the pass took before it ran what was due, never a
 * later one (see daemon_run()).
 */
static time_t next_opening(const struct config *cfg, time_t now,
			   const char **name)
{
	time_t best = 0;

	for (size_t i = 0; i < cfg->nwindows; i++) {
		struct window_occ occ;

		if (window_next(&cfg->windows[i], now, &occ) == 0 &&
		    (!best || occ.start < best)) {
			best = occ.start;
			*name = cfg->windows[i].name;
		}
	}
	return best;
}

/*
 * Sleeps until clock_now() reaches target (0: until a signal). Called
 * with SIGHUP/SIGTERM/SIGINT blocked: ppoll() unblocks them atomically,
 * so a signal that arrived just before is not lost. The timerfd is
 * absolute and, on the real clock, cancelled when someone sets the clock:
 * either way the loop wakes and looks again.
 */
static void sleep_until(time_t target)
{
	struct itimerspec its = { 0 };
	struct pollfd p = { .fd = -1, .events = POLLIN };
	struct timespec fallback, *timeout = NULL;
	sigset_t none;
	clockid_t id;

	sigemptyset(&none);
	if (target) {
		clock_deadline(target, &id, &its.it_value);
		p.fd = timerfd_create(id, TFD_CLOEXEC);
		if (p.fd >= 0 &&
		    timerfd_settime(p.fd, TFD_TIMER_ABSTIME |
				    (id == CLOCK_REALTIME ?
				     TFD_TIMER_CANCEL_ON_SET : 0),
				    &its, NULL) < 0) {
			close(p.fd);
			p.fd = -1;
		}
		if (p.fd < 0) {
			/* No timer (out of file descriptors?): nap at most a
			 * minute at a time and look again, not forever. */
			time_t left = target - clock_now();

			fallback.tv_sec = left < 1 ? 1 : left > 60 ? 60 : left;
			fallback.tv_nsec = 0;
			timeout = &fallback;
		}
	}
	while (!reload && !engine_stop) {
		int n = ppoll(p.fd >= 0 ? &p : NULL, p.fd >= 0 ? 1 : 0, timeout,
			      &none);

		/* 0: the fallback nap ended. */
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (p.fd >= 0)
		close(p.fd);
}

int daemon_run(const char *root, const struct engine_opts *opts,
	       void (*done)(const struct config_job *job,
			    const struct engine_outcome *o, void *arg),
	       void *arg)
{
	struct config cfg;
	sigset_t sigs;
	char when[64];

	engine_catch_signals_with(on_signal);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if (load(root, &cfg) < 0)
		return error_set("the config has problems; see 'upkeep check'");
	log_context(&cfg, NULL, NULL);
	log_msg(LOG_INFO, NULL, "daemon started (config %s, %zu window%s, "
		"%zu job%s)", cfg.root, cfg.nwindows, cfg.nwindows == 1 ? "" :
		"s", cfg.njobs, cfg.njobs == 1 ? "" : "s");
	while (!engine_stop) {
		const char *name = NULL;
		time_t now, next;

		if (reload) {
			struct config fresh;

			reload = 0;
			/* The runs on record are read again too (another
			 * upkeep may have rebuilt or pruned them). */
			history_forget();
			if (load(root, &fresh) == 0) {
				config_free(&cfg);
				cfg = fresh;
				log_context(&cfg, NULL, NULL);
				log_msg(LOG_INFO, NULL, "config reloaded (%zu "
					"window%s, %zu job%s)", cfg.nwindows,
					cfg.nwindows == 1 ? "" : "s", cfg.njobs,
					cfg.njobs == 1 ? "" : "s");
			} else {
				log_msg(LOG_ERROR, NULL, "config reload failed; "
					"keeping the config that was loaded");
			}
		}
		/* Signals reach a run (SIGTERM stops its step and ends it
		 * interrupted); between runs they wait for sleep_until(). */
		now = clock_now();
		sigprocmask(SIG_UNBLOCK, &sigs, NULL);
		engine_run_due(&cfg, opts, done, arg);
		sigprocmask(SIG_BLOCK, &sigs, NULL);
		log_context(&cfg, NULL, NULL);
		if (engine_stop || reload)
			continue;
		next = next_opening(&cfg, now, &name);
		if (next && next <= now) {
			/*
			 * window_next() promises an opening after now; should
			 * a calendar bug break that, wait a second rather than
			 * loop hot.
			 */
			log_msg(LOG_WARN, NULL, "window '%s' reports an opening "
				"that is not in the future; looking again in a "
				"second", name);
			next = now + 1;
		} else if (next && next <= clock_now()) {
			/* It opened while a job ran: go round at once. */
			log_msg(LOG_DEBUG, NULL, "window '%s' opened while a job "
				"ran", name);
		} else if (next) {
			timefmt_local(next, config_window_find(&cfg,
				      name)->timezone, when, sizeof(when));
			log_msg(LOG_INFO, NULL, "sleeping until window '%s' "
				"opens: %s", name, when);
		} else {
			log_msg(LOG_WARN, NULL, "no window opens again; waiting "
				"for SIGHUP (reload) or SIGTERM");
		}
		sleep_until(next);
	}
	log_msg(LOG_INFO, NULL, "daemon stopped");
	config_free(&cfg);
	return 0;
}
