/*
 * Starting a child straight inside a cgroup (clone3 with
 * CLONE_INTO_CGROUP), the way posix_spawn() starts one: vfork-like, no
 * copy of upkeep's address space. proc.c's spawns of a run that has a
 * cgroup come here; without one, or where this cannot work (a kernel
 * before 5.7, an architecture this file has no entry code for), proc.c
 * moves itself into the cgroup around posix_spawn() instead. Not the
 * cgroup's life (proc.c) nor what the child is given (decided there).
 */
#ifndef UPKEEP_PROC_CLONE_H
#define UPKEEP_PROC_CLONE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * What the child is to be, all decided by the parent: the child only
 * makes system calls (it shares upkeep's memory until it execs).
 */
struct proc_child {
	char *const *argv;
	char *const *envp;
	const char *prog;	/* the program's path, or NULL: search */
	const char *path;	/* the PATH searched for argv[0] then */
	const char *cwd;	/* where it starts, or NULL */
	int out_fd;		/* its stdout and stderr; stdin is /dev/null */
	const int *reset;	/* signals put back to SIG_DFL ... */
	size_t nreset;		/* ... how many */
	int err;		/* the child's: why it could not exec */
};

/*
 * Starts c in its own process group, with an empty signal mask, inside
 * the cgroup whose directory is open as cgroup_fd. Returns its pid; or
 * -1 with c->err set when the child could not start its program (the
 * child is reaped; errno is c->err); or -1 with c->err 0 and errno from
 * clone3 when no child was made (ENOSYS where this cannot work at all).
 */
pid_t proc_clone_spawn(int cgroup_fd, struct proc_child *c);
/*
 * Whether children can be started inside that cgroup this way: one that
 * exits at once is. 0, or -1 with errno.
 */
int proc_clone_probe(int cgroup_fd);

#endif
