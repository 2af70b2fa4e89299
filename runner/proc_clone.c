/*
 * A child started straight inside a cgroup; see proc_clone.h. Why not
 * posix_spawn() with upkeep stepping into the cgroup around it (what
 * proc.c does where this cannot work): the first such move of a run
 * waits for an RCU grace period in the kernel (the write side of
 * cgroup_threadgroup_rwsem), 5 to 21 ms measured on a busy 2-core
 * machine, more than all the rest of a 10-step run's upkeep. A child
 * born inside with CLONE_INTO_CGROUP takes no such lock. glibc gained
 * posix_spawnattr_setcgroup_np() for this in 2.39; Debian 12 has 2.36.
 *
 * Like glibc's posix_spawn(), the child shares upkeep's memory and runs
 * on a stack of its own (CLONE_VM), and upkeep waits until it has exec'd
 * or failed to (CLONE_VFORK): no copy of the address space per step
 * (clone3 without CLONE_VM, a fork, cost about 1 ms more per step here).
 * A function called on a new stack needs a few instructions no C
 * compiler writes, so there is entry code for x86-64 only; elsewhere
 * proc_clone_spawn() says ENOSYS and proc.c does without.
 *
 * The child makes system calls only (syscall(2), no libc state, nothing
 * a sanitizer intercepts) and writes nothing of upkeep's but c->err. All
 * signals are blocked across the clone, so no handler of upkeep's runs
 * in it; it puts the ones in c->reset back to SIG_DFL before unblocking.
 */
#include "proc_clone.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The child's stack: it only needs room for one path and a few frames.
 * One for all: children are started one at a time (proc_run() is the
 * main thread's), and each is done with it once clone3 returns.
 */
static char child_stack[64 * 1024] __attribute__((aligned(16)));

#if defined(__x86_64__) && defined(SYS_clone3)
/*
 * clone3(a); in the child, on its new stack, exit(fn(arg)). Returns the
 * child's pid, or -errno. Only rax, rcx and r11 change across syscall;
 * the child never comes back into C.
 */
static long clone3_run(struct clone_args *a, int (*fn)(void *), void *arg)
{
	register long rax __asm__("rax") = SYS_clone3;
	register long rdi __asm__("rdi") = (long)a;
	register long rsi __asm__("rsi") = (long)sizeof(*a);
	register void *r12 __asm__("r12") = (void *)fn;
	register void *r13 __asm__("r13") = arg;

	__asm__ __volatile__(
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"xor %%ebp, %%ebp\n\t"
		"mov %%r13, %%rdi\n\t"
		"call *%%r12\n\t"
		"mov %%eax, %%edi\n\t"
		"mov %[exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		"1:"
		: "+r"(rax)
		: "r"(rdi), "r"(rsi), "r"(r12), "r"(r13), [exit] "i"(SYS_exit)
		: "rcx", "r11", "memory", "cc");
	return rax;
}
#else
static long clone3_run(struct clone_args *a, int (*fn)(void *), void *arg)
{
	(void)a;
	(void)fn;
	(void)arg;
	return -ENOSYS;
}
#endif

/* The child's code may not be instrumented: it runs on a stack no
 * sanitizer knows, in memory it shares with the waiting parent. */
#define CHILD_CODE __attribute__((no_sanitize("address", "undefined")))

/* A system call's result, -1 with errno set on failure (syscall(2)). */
#define SYS(...) syscall(__VA_ARGS__)

/* Makes fd be `to` in the child, without close-on-exec. */
CHILD_CODE static long child_fd(int fd, int to)
{
	if (fd == to)
		return SYS(SYS_fcntl, to, F_SETFD, 0);
	return SYS(SYS_dup2, fd, to);
}

/* strchr(s, '/'), which a sanitizer would intercept. */
CHILD_CODE static bool child_has_slash(const char *s)
{
	while (*s && *s != '/')
		s++;
	return *s == '/';
}

/*
 * exec of name searched in path as execvp() does, without its /bin/sh
 * retry: an empty entry is the current directory; a directory where the
 * program is not is skipped, one where it may not run is remembered
 * (EACCES, unless a later one runs it), any other error ends the search.
 */
CHILD_CODE static void child_exec_search(const struct proc_child *c)
{
	const char *name = c->argv[0], *p = c->path;
	char buf[PATH_MAX];
	size_t nlen = 0;
	bool denied = false;

	while (name[nlen])
		nlen++;
	for (;;) {
		size_t n = 0, k = 0;

		while (p[n] && p[n] != ':')
			n++;
		if (n + 1 + nlen < sizeof(buf)) {
			for (; k < n; k++)
				buf[k] = p[k];
			if (n)
				buf[k++] = '/';
			for (size_t i = 0; i <= nlen; i++)
				buf[k + i] = name[i];
			SYS(SYS_execve, buf, c->argv, c->envp);
			if (errno == EACCES)
				denied = true;
			else if (errno != ENOENT && errno != ENOTDIR &&
				 errno != ESTALE && errno != ENODEV &&
				 errno != ETIMEDOUT)
				return;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	errno = denied ? EACCES : ENOENT;
}

CHILD_CODE static int child_main(void *arg)
{
	struct proc_child *c = arg;
	/* A kernel struct sigaction saying SIG_DFL, no flags; a sigset_t
	 * of the kernel's (64 signals) with none in it. */
	static const unsigned long dfl[8], none = 0;
	long fd;

	if (SYS(SYS_setpgid, 0, 0) < 0)
		goto fail;
	for (size_t i = 0; i < c->nreset; i++)
		SYS(SYS_rt_sigaction, c->reset[i], dfl, NULL, sizeof(none));
	fd = SYS(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
	if (fd < 0 || child_fd((int)fd, 0) < 0)
		goto fail;
	if (fd != 0)
		SYS(SYS_close, fd);
	if (child_fd(c->out_fd, 1) < 0 || child_fd(c->out_fd, 2) < 0)
		goto fail;
	if (c->cwd && SYS(SYS_chdir, c->cwd) < 0)
		goto fail;
	if (SYS(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL,
		sizeof(none)) < 0)
		goto fail;
	if (c->prog || child_has_slash(c->argv[0]))
		SYS(SYS_execve, c->prog ? c->prog : c->argv[0], c->argv,
		    c->envp);
	else
		child_exec_search(c);
fail:
	c->err = errno ? errno : ENOEXEC;
	return 127;
}

CHILD_CODE static int child_exit_now(void *arg)
{
	(void)arg;
	return 0;
}

/* clone3 into the cgroup with every signal blocked; pid or -errno. */
static long clone_into(int cgroup_fd, int (*fn)(void *), void *arg)
{
	struct clone_args a;
	sigset_t all, old;
	long pid;

	memset(&a, 0, sizeof(a));
	a.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.stack = (uint64_t)(uintptr_t)child_stack;
	a.stack_size = sizeof(child_stack);
	a.cgroup = (uint64_t)cgroup_fd;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone3_run(&a, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}

pid_t proc_clone_spawn(int cgroup_fd, struct proc_child *c)
{
	long pid;

	c->err = 0;
	pid = clone_into(cgroup_fd, child_main, c);
	if (pid < 0) {
		errno = (int)-pid;
		return -1;
	}
	if (c->err) {
		waitpid((pid_t)pid, NULL, 0);
		errno = c->err;
		return -1;
	}
	return (pid_t)pid;
}

int proc_clone_probe(int cgroup_fd)
{
	long pid = clone_into(cgroup_fd, child_exit_now, NULL);

	if (pid < 0) {
		errno = (int)-pid;
		return -1;
	}
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}
