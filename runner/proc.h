/*
 * Child processes for steps and checks: spawn an argv (never through a
 * shell unless the argv is one), capture its output, enforce a deadline,
 * and make sure that when it ends, every process it started has ended too.
 * Not for long-lived services (the test harness has its own supervisor).
 *
 * Killing a whole tree: upkeep makes itself a child subreaper
 * (PR_SET_CHILD_SUBREAPER), so a descendant that double-forks or calls
 * setsid() is re-parented to upkeep instead of to init, and stays
 * findable. At the deadline every descendant gets SIGTERM, then after the
 * grace period the tree is frozen (SIGSTOP, repeated until no new process
 * appears, so a fork loop cannot outrun it) and killed with SIGKILL.
 * Descendants still running when the main process exits on its own are
 * killed the same way and counted as leftovers.
 *
 * Processes that leave the run: a descendant that also drops the run tag
 * (below) and daemonizes is only held by the subreaper, which dies with
 * upkeep. So while a run goes on and a cgroup v2 hierarchy is writable
 * (root, or a delegated subtree), its children are born in a cgroup of the
 * run's own, <upkeep's cgroup>/upkeep/<run-id>, which nothing in it can
 * leave; it is killed whole with cgroup.kill (systemd's
 * KillMode=control-group) after every step, when the run ends (then it is
 * removed) and by the next upkeep after a crash. UPKEEP_NO_CGROUP=1 turns
 * this off; the subreaper and the tag are then all there is.
 *
 * Children get the environment upkeep was started with (the TZ that the
 * calendar maths set is put back, see util/tz.h), spec->env over it, and
 * the run tag.
 *
 * proc_run() treats every descendant of upkeep as the child's: it runs one
 * process tree at a time, as the engine does (steps and checks run one
 * after another).
 */
#ifndef UPKEEP_PROC_H
#define UPKEEP_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The output tail kept for the run record. */
#define PROC_TAIL_BYTES (64 * 1024)

struct proc_spec {
	char *const *argv;		/* argv[0] is looked up in PATH */
	char *const *env;		/* extra "NAME=value" entries, or NULL */
	const char *cwd;		/* NULL: upkeep's own */
	int64_t timeout_ms;		/* 0: none */
	int64_t kill_grace_ms;		/* SIGTERM to SIGKILL */
	/* Optional: told the child's pid once it is started. */
	void (*on_start)(void *arg, pid_t pid);
	/* Optional: called with each chunk of output as it arrives. */
	void (*on_output)(void *arg, const char *data, size_t len);
	void *arg;
};

/*
 * Set from a signal handler to stop the tree that is running, as at its
 * deadline: PROC_STOP_GRACEFUL sends SIGTERM and kills after the grace
 * period, PROC_STOP_NOW kills at once (a second Ctrl-C). Stays set: no
 * child starts after it (proc_run() returns -1, saying so).
 */
enum { PROC_STOP_GRACEFUL = 1, PROC_STOP_NOW = 2 };
extern volatile sig_atomic_t proc_stop;

struct proc_result {
	bool started;			/* false: exec failed (see error) */
	int exit_code;			/* when it exited, else -1 */
	int signal;			/* the signal that ended it, else 0 */
	bool timed_out;			/* stopped at the deadline */
	int64_t duration_ms;
	char *tail;			/* last PROC_TAIL_BYTES of stdout+stderr */
	size_t tail_len;
	uint64_t output_bytes;		/* all output, counted */
	int leftovers;			/* descendants killed after it ended */
};

/*
 * Runs spec to completion. Returns 0 when the process could be started
 * (whatever its outcome), -1 (error_set) when it could not.
 * Free result->tail with proc_result_free().
 */
int proc_run(const struct proc_spec *spec, struct proc_result *result);
void proc_result_free(struct proc_result *result);

/*
 * While run_id is set (NULL clears it), every child gets UPKEEP_RUN_ID=
 * run_id in its environment, inherited by all it starts, and is started in
 * the run's cgroup when one can be made (see above). The tag and the
 * cgroup are how the next upkeep finds what a run killed with SIGKILL left
 * behind, even processes that left the process group and were re-parented
 * to init. Setting another id or NULL kills what is left in the previous
 * run's cgroup and removes it.
 */
void proc_set_run_id(const char *run_id);
/*
 * Call after changing a signal's disposition: children get every signal
 * back to SIG_DFL, and which are not there is known from the first spawn
 * on until this is called.
 */
void proc_signals_changed(void);
/*
 * Kills the dead run run_id's cgroup (found by name, "upkeep/<run_id>",
 * anywhere in the cgroup v2 hierarchy) and removes it, then stops and kills
 * every process whose environment carries run_id's tag (not upkeep itself).
 * Returns how many it killed.
 */
size_t proc_kill_run(const char *run_id);

/*
 * How the current run's processes are held, for its record and log:
 * "cgroup <directory>", or "subreaper + UPKEEP_RUN_ID" (no usable cgroup
 * v2, or UPKEEP_NO_CGROUP=1); "subreaper" outside a run.
 */
const char *proc_containment(void);
/*
 * Why the current run has no cgroup ("UPKEEP_NO_CGROUP is set", "cannot
 * create '/sys/fs/cgroup/upkeep': Read-only file system", ...), or NULL
 * when it has one or no run is going on.
 */
const char *proc_containment_why(void);

/*
 * The start time of pid in clock ticks since boot (/proc/PID/stat field
 * 22), or 0 when it does not exist: with the pid it names one process
 * even after pids are reused.
 */
unsigned long long proc_start_ticks(pid_t pid);

/*
 * Every live process descended from pid (re-parented ones included, once
 * upkeep is a subreaper), at most max; returns how many were found.
 */
size_t proc_descendants(pid_t pid, pid_t *out, size_t max);

#endif
