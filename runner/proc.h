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
 * proc_run() treats every descendant of upkeep as the child's: it runs one
 * process tree at a time, as the engine does (steps and checks run one
 * after another).
 */
#ifndef UPKEEP_PROC_H
#define UPKEEP_PROC_H

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
	char error[256];		/* why it did not start, or "" */
};

/*
 * Runs spec to completion. Returns 0 when the process could be started
 * (whatever its outcome), -1 when it could not (result->error says why).
 * Free result->tail with proc_result_free().
 */
int proc_run(const struct proc_spec *spec, struct proc_result *result);
void proc_result_free(struct proc_result *result);

/*
 * While run_id is set (NULL clears it), every child gets UPKEEP_RUN_ID=
 * run_id in its environment, inherited by all it starts. That tag is how
 * the next upkeep finds what a run killed with SIGKILL left behind, even
 * processes that left the process group and were re-parented to init.
 */
void proc_set_run_id(const char *run_id);
/*
 * Stops and kills every process whose environment carries run_id's tag
 * (not upkeep itself). Returns how many it killed.
 */
size_t proc_kill_run(const char *run_id);

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
