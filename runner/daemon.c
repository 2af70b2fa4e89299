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
 *
 * Each pass runs in a child process (pass_run()), which _exit()s when it
 * is done: libpq, libcurl and libgit2, loaded only when a run needs them
 * (util/lazylib.h), and whatever a run allocated leave with it, so the
 * daemon is as small after a run as before its first one. The daemon
 * keeps the schedule, the config and what it knows of the runs on record
 * (the child's records reach it through the history index, which re-reads
 * what another process appended). The host lock, the journal and the log
 * (the same descriptors) are the run's, in the child, as they were. A
 * child that dies of a signal is logged and the daemon goes on: the
 * journal it left is closed as interrupted by the next run's recovery.
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "history.h"
#include "log.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "window.h"

static volatile sig_atomic_t reload;
/* The pass's child while one runs (see pass_run()), else 0. */
static volatile sig_atomic_t pass_pid;

/*
 * SIGHUP reloads the config. SIGTERM or SIGINT stops the daemon: a run in
 * progress stops its step (SIGTERM to its tree, SIGKILL after the grace)
 * and is recorded as interrupted; a second one kills the step at once.
 * The run is in the pass's child, which is in a process group of its own
 * (neither a terminal's Ctrl-C nor a kill of the group reaches it): each
 * signal the daemon gets is passed on to it once, here, so a second one
 * is still the second.
 */
static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		reload = 1;
		return;
	}
	if (pass_pid > 0)
		kill((pid_t)pass_pid, sig);
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

/*
 * The pass's child (see pass_run()): out of the daemon's process group
 * before any signal can be passed on to it, so that each stop signal
 * arrives once; stopped with SIGTERM should the daemon die (killed)
 * under it. Never returns.
 */
static void pass_child(const struct config *cfg,
		       const struct engine_opts *opts,
		       void (*done)(const struct config_job *job,
				    const struct engine_outcome *o, void *arg),
		       void *arg, const sigset_t *sigs, pid_t daemon, int ready)
{
	struct timespec zero = { 0 };

	setpgid(0, 0);
	/* A signal to the daemon's group that reached this process before
	 * it left the group reached the daemon too, which passes it on once
	 * it hears the child is ready: this copy would be a second one. */
	while (sigtimedwait(sigs, NULL, &zero) > 0)
		;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != daemon)
		engine_on_stop_signal(SIGTERM);
	close(ready);
	sigprocmask(SIG_UNBLOCK, sigs, NULL);
	engine_run_due(cfg, opts, done, arg);
	fflush(NULL);
#ifdef __SANITIZE_ADDRESS__
	/* _exit() skips LeakSanitizer's check at exit: the run's leaks are
	 * this process's to report. */
	__lsan_do_leak_check();
#endif
	_exit(0);
}

/* How the pass's child ended, when that is news (it always exits 0). */
static void pass_ended(pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		log_msg(LOG_ERROR, NULL, "the process running the due jobs "
			"(pid %d) was killed by signal %d (%s); a run it left "
			"unfinished is closed as interrupted by the next run, "
			"'upkeep status' or 'upkeep history'", (int)pid,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_msg(LOG_ERROR, NULL, "the process running the due jobs "
			"(pid %d) exited with status %d", (int)pid,
			WEXITSTATUS(status));
}

/*
 * engine_run_due() in a child process (see the top of this file), waited
 * for. Called with the stop signals (sigs) blocked; they are unblocked
 * while the child runs, and passed on to it (on_signal()). Without a
 * child (fork() failed) the pass runs here, as it must not wait.
 */
static void pass_run(const struct config *cfg, const struct engine_opts *opts,
		     void (*done)(const struct config_job *job,
				  const struct engine_outcome *o, void *arg),
		     void *arg, const sigset_t *sigs)
{
	pid_t daemon = getpid(), pid;
	int ready[2], status = 0;
	siginfo_t si;
	char c;

	/* What the daemon knows of the runs on record, brought up to date
	 * here, is the child's from the start: its "what is due" reads only
	 * what changed, and the daemon keeps it for the next pass. */
	history_last_start(cfg, "");
	fflush(NULL);
	if (pipe2(ready, O_CLOEXEC) < 0) {
		pid = -1;
	} else if ((pid = fork()) == 0) {
		close(ready[0]);
		pass_child(cfg, opts, done, arg, sigs, daemon, ready[1]);
	} else if (pid < 0) {
		int err = errno;

		close(ready[0]);
		close(ready[1]);
		errno = err;
	}
	if (pid < 0) {
		log_msg(LOG_WARN, NULL, "cannot start a process for the due "
			"jobs (%s); running them in the daemon",
			strerror(errno));
		sigprocmask(SIG_UNBLOCK, sigs, NULL);
		engine_run_due(cfg, opts, done, arg);
		sigprocmask(SIG_BLOCK, sigs, NULL);
		return;
	}
	close(ready[1]);
	/* EOF once the child is out of this process group (or gone). */
	while (read(ready[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ready[0]);
	pass_pid = pid;
	sigprocmask(SIG_UNBLOCK, sigs, NULL);
	/* Waited for without reaping (WNOWAIT): while the ended child is a
	 * zombie its pid cannot be another process's, so a signal passed
	 * on before pass_pid is cleared cannot reach a stranger. */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 &&
	       errno == EINTR)
		;
	sigprocmask(SIG_BLOCK, sigs, NULL);
	pass_pid = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The daemon as PID 1 (a container) inherits what a killed child
	 * left running: whatever of that has ended is reaped here. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	pass_ended(pid, status);
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
		pass_run(&cfg, opts, done, arg, &sigs);
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
