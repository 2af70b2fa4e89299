/*
 * A run's tracked config: see rollback.h. A rollback is three phases, in
 * the order of a compose project's runbook (`docker-compose down && git
 * checkout last-stable && docker-compose up -d`): before_restore on the
 * broken files, the files restored, apply on the good ones. The commands
 * are the job's own argvs (the real compose CLI, never a reimplementation
 * of it), run through proc.c in the project directory. Not for the git
 * work itself (stable.c).
 *
 * A failed before_restore does not stop the rollback, unlike a runbook
 * typed with &&: at 02:00 the service is already broken, and the common
 * reason `docker-compose down` fails is the very commit being undone (a
 * compose file it cannot parse). Stopping there would leave the broken
 * files and the broken service both; restoring and running apply is the
 * operator's next move anyway. The failure is kept in the record
 * ("warning", the before_restore outcome) and the report, and validation
 * still decides between rolled-back and rollback-failed.
 */
#include "rollback.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "proc.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/units.h"

#define BEFORE_STEP "rollback before_restore"
#define APPLY_STEP "rollback apply"

int tracked_begin(struct tracked *tr, const struct config_job *job,
		  const char *run_id, time_t when, json_t *rec)
{
	stable_id stable;
	int have;

	memset(tr, 0, sizeof(*tr));
	snprintf(tr->ref, sizeof(tr->ref), "refs/upkeep/runs/%s", run_id);
	if (stable_open(&job->tracked, &tr->s) < 0)
		return -1;
	tr->open = true;
	have = stable_current(&tr->s, stable);
	if (have < 0 || stable_snapshot(&tr->s, tr->ref, when, &tr->snap) < 0)
		return -1;
	json_object_set_new(rec, "tracked_config", json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s?}",
		"repo", job->tracked.repo, "branch", tr->snap.branch,
		"head", tr->snap.head, "snapshot", tr->snap.commit,
		"snapshot_ref", tr->ref, "clean", tr->snap.clean,
		"stable_ref", job->tracked.stable_ref,
		"last_stable", have ? stable : NULL));
	log_msg(LOG_INFO, NULL, "tracked config %s: %s at %.7s%s; snapshot %.7s",
		job->tracked.repo, tr->snap.branch, tr->snap.head,
		tr->snap.clean ? "" : " with uncommitted changes",
		tr->snap.commit);
	return 0;
}

void tracked_promote(struct tracked *tr, const struct config_job *job,
		     json_t *rec)
{
	json_t *tc = json_object_get(rec, "tracked_config");
	stable_id old;
	char a[8], b[8];
	int pruned;

	if (stable_promote(&tr->s, tr->snap.config, old) < 0) {
		log_msg(LOG_ERROR, NULL, "last-stable not moved: %s",
			error_last());
		json_object_set_new(tc, "promote_error",
				    json_string(error_last()));
		return;
	}
	json_object_set_new(tc, "promoted", json_pack("{s:s?, s:s}", "from",
			    *old ? old : NULL, "to", tr->snap.config));
	log_msg(LOG_INFO, NULL, "last-stable: %s → %s", stable_short(old, a),
		stable_short(tr->snap.config, b));
	if (stable_prune_runs(&tr->s, job->tracked.keep_runs, &pruned) < 0)
		log_msg(LOG_WARN, NULL, "%s", error_last());
	else if (pruned)
		json_object_set_new(tc, "run_refs_pruned", json_integer(pruned));
}

int tracked_target(struct tracked *tr, const char *to, json_t *rb)
{
	stable_id target;
	int have = 0;

	if (to ? stable_resolve(&tr->s, to, target) < 0 :
	    (have = stable_current(&tr->s, target)) < 0)
		return -1;
	json_object_set_new(rb, "target", json_string(to || have ? target :
						      tr->snap.commit));
	json_object_set_new(rb, "target_is", to ? json_string(strcmp(to,
		tr->s.t->stable_ref) ? to : "last-stable") :
		json_string(have ? "last-stable" : "the run's start snapshot "
			    "(no last-stable yet)"));
	json_object_set_new(rb, "repo", json_string(tr->s.t->repo));
	json_object_set_new(rb, "from", json_string(tr->snap.head));
	/* Who restores and since when, on the real clock (not --now): what
	 * recovery needs to tell a lock this process left from another's. */
	json_object_set_new(rb, "restorer", json_pack("{s:I, s:I, s:I}",
		"pid", (json_int_t)getpid(), "pid_start",
		(json_int_t)proc_start_ticks(getpid()), "began",
		(json_int_t)time(NULL)));
	return 0;
}

/* argv as a reader would type it: arguments that need it in '…'. */
static char *argv_text(const struct strv *argv)
{
	struct strv q = { 0 };
	char *out;

	for (size_t i = 0; i < argv->n; i++) {
		const char *a = argv->v[i];

		if (*a && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			   "qrstuvwxyz0123456789_./:=@%+,-") == strlen(a)) {
			strv_push(&q, a);
			continue;
		}
		/* '…' with each ' as '\'' : what a shell would need. */
		{
			size_t n = 2;
			char *w, *p;

			for (p = (char *)a; *p; p++)
				n += *p == '\'' ? 4 : 1;
			w = xmalloc(n + 1);
			p = w;
			*p++ = '\'';
			for (; *a; a++) {
				if (*a == '\'') {
					memcpy(p, "'\\''", 4);
					p += 4;
				} else {
					*p++ = *a;
				}
			}
			*p++ = '\'';
			*p = 0;
			strv_push_owned(&q, w);
		}
	}
	out = strv_join(&q, " ");
	strv_free(&q);
	return out;
}

/* The directory the commands run in: the repo, or project_dir in it. */
static char *project_path(const struct config_tracked *t)
{
	return t->project_dir ? xasprintf("%s/%s", t->repo, t->project_dir) :
	       xstrdup(t->repo);
}

/*
 * Whether dir is a directory inside the work tree once symlinks are
 * followed (a project_dir that the broken files made a symlink out of
 * the repo must not become a command's cwd). error_set says what is wrong.
 */
static int project_dir_usable(const struct config_tracked *t, const char *dir)
{
	char real[PATH_MAX], top[PATH_MAX];
	struct stat st;
	size_t n;

	if (!t->project_dir)
		return 0;
	if (!realpath(dir, real) || stat(real, &st) < 0)
		return error_set("project_dir '%s' is not in the work tree of "
				 "'%s' now: %s", t->project_dir, t->repo,
				 strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return error_set("project_dir '%s' in '%s' is not a directory",
				 t->project_dir, t->repo);
	if (!realpath(t->repo, top))
		return error_set("cannot resolve '%s': %s", t->repo,
				 strerror(errno));
	n = strlen(top);
	if (strncmp(real, top, n) || (real[n] && real[n] != '/'))
		return error_set("project_dir '%s' leads out of '%s' (to "
				 "'%s', through a symlink); refusing to run "
				 "there", t->project_dir, t->repo, real);
	return 0;
}

/* Whether prog (no '/') is an executable file in a PATH directory. */
static bool on_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *end;
	char cand[PATH_MAX];

	for (p = path ? path : ""; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(cand, sizeof(cand), "%.*s/%s", (int)(end - p),
			 end == p ? "." : p, prog);
		if (access(cand, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * The error for a command that did not start: when its program is not on
 * PATH, which package brings it (the compose CLIs a compose rollback
 * names), else proc_run's own message.
 */
static void not_started(const char *what, const struct strv *argv)
{
	static const char *const hints[][2] = {
		{ "docker-compose", "install docker-compose (Debian: apt "
		  "install docker-compose), or use [docker, compose, ...] "
		  "where Docker's compose plugin is installed" },
		{ "docker", "install the docker CLI with its compose plugin, "
		  "or use [docker-compose, ...]" },
		{ "podman-compose", "install podman-compose (Debian: apt "
		  "install podman-compose)" },
		{ "podman", "install podman (Debian: apt install podman)" },
	};
	const char *prog = argv->v[0], *hint = NULL;

	if (strchr(prog, '/') || on_path(prog))
		return;
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (!strcmp(prog, hints[i][0]))
			hint = hints[i][1];
	error_set("'%s' (tracked_config.%s) is not installed: no such "
		  "program on PATH (%s); %s", prog, what, getenv("PATH") ?: "",
		  hint ? hint : "install it, or give its full path");
}

static void on_output(void *arg, const char *data, size_t len)
{
	log_output(arg, data, len);
}

/*
 * Runs one rollback command (what: "before_restore" or "apply") in dir;
 * records it under rb's what ({ok, argv, cwd, summary, exit_code,
 * duration_ms, output_tail}) and in rb's "sequence". -1 (error_set, the
 * summary) when it did not start or did not exit 0.
 */
static int run_command(const struct config *cfg, const char *what,
		       const struct strv *argv, int64_t timeout_ms,
		       const struct config_tracked *t, const char *dir,
		       json_t *rb)
{
	const char *step = !strcmp(what, "apply") ? APPLY_STEP : BEFORE_STEP;
	struct proc_spec spec = {
		.argv = argv->v, .cwd = dir, .timeout_ms = timeout_ms,
		.kill_grace_ms = cfg->settings.kill_grace_ms,
		.on_output = on_output, .arg = (void *)step,
	};
	struct proc_result res = { .exit_code = -1 };
	/* Joined plainly, as apply's summary always was; the record keeps
	 * the exact argv. */
	char *cmd = strv_join(argv, " "), *summary, *tail;
	json_t *args = json_array();
	bool ok = false;
	int started = project_dir_usable(t, dir);

	if (started == 0 && proc_run(&spec, &res) < 0) {
		not_started(what, argv);
		started = -1;
	}
	if (started < 0) {
		summary = xasprintf("%s '%s' did not start: %s", what, cmd,
				    error_last());
	} else if (res.timed_out) {
		summary = xasprintf("%s '%s' timed out", what, cmd);
	} else if (res.signal) {
		summary = xasprintf("%s '%s' was killed by signal %d", what,
				    cmd, res.signal);
	} else {
		ok = res.exit_code == 0;
		summary = xasprintf("%s '%s' exited with %d", what, cmd,
				    res.exit_code);
	}
	for (size_t i = 0; i < argv->n; i++)
		json_array_append_new(args, json_string(argv->v[i]));
	tail = text_sanitize(res.tail ? res.tail : "", res.tail_len);
	json_object_set_new(rb, what, json_pack("{s:b, s:o, s:s, s:s, s:o, "
		"s:I, s:s}", "ok", ok, "argv", args, "cwd", dir, "summary",
		summary, "exit_code", res.started && !res.timed_out &&
		!res.signal ? json_integer(res.exit_code) : json_null(),
		"duration_ms", (json_int_t)res.duration_ms, "output_tail",
		tail));
	json_array_append_new(json_object_get(rb, "sequence"), json_pack(
		"{s:s, s:b, s:s}", "name", what, "ok", ok, "summary", summary));
	log_msg(ok ? LOG_INFO : LOG_ERROR, step, "%s", summary);
	if (!ok)
		error_set("%s", summary);
	free(summary);
	free(tail);
	free(cmd);
	proc_result_free(&res);
	return ok ? 0 : -1;
}

/* Phase 2: the files back to rb's target, as a commit on the branch. */
static int restore_files(struct tracked *tr, const struct config_job *job,
			 const char *why, time_t when, json_t *rb)
{
	const char *target = json_string_value(json_object_get(rb, "target"));
	stable_id commit;
	json_t *files = NULL;
	char sh[8], msg[512], *summary;
	int rc = 0;

	/* "after run <run-id>: <reason>" in the rollback commit's message */
	snprintf(msg, sizeof(msg), "run %s: %s",
		 tr->ref + strlen("refs/upkeep/runs/"), why);
	if (stable_restore(&tr->s, target, tr->ref, tr->snap.commit, msg, when,
			   commit, &files) < 0) {
		summary = xstrdup(error_last());
		rc = -1;
	} else {
		json_object_set_new(rb, "commit", *commit ?
				    json_string(commit) : json_null());
		summary = xasprintf("%zu file%s restored to %s%s%.7s",
				    json_array_size(files),
				    json_array_size(files) == 1 ? "" : "s",
				    stable_short(target, sh), *commit ?
				    "; commit " : "", commit);
		log_msg(LOG_WARN, NULL, "rolled back %s: %s", job->tracked.repo,
			summary);
		json_object_set_new(rb, "files", files);
		files = NULL;
	}
	json_array_append_new(json_object_get(rb, "sequence"), json_pack(
		"{s:s, s:b, s:s}", "name", "restore", "ok", rc == 0, "summary",
		summary));
	free(summary);
	json_decref(files);
	return rc;
}

int tracked_restore(struct tracked *tr, const struct config *cfg,
		    const struct config_job *job, const char *why, time_t when,
		    json_t *rb)
{
	const struct config_tracked *t = &job->tracked;
	char *dir = project_path(t);
	int rc = -1;

	/* A second attempt (recovery) starts its account afresh. */
	json_object_del(rb, "before_restore");
	json_object_del(rb, "apply");
	json_object_del(rb, "warning");
	json_object_set_new(rb, "sequence", json_array());
	if (t->before_restore.n &&
	    run_command(cfg, "before_restore", &t->before_restore,
			t->before_restore_timeout_ms, t, dir, rb) < 0) {
		/* Go on: see the top of this file. */
		char *w = xasprintf("%s; upkeep went on to restore the files%s",
				    error_last(), t->apply.n ? " and run apply" :
				    "");

		json_object_set_new(rb, "warning", json_string(w));
		log_msg(LOG_WARN, NULL, "%s", w);
		free(w);
	}
	if (restore_files(tr, job, why, when, rb) < 0)
		goto out;
	if (t->apply.n && run_command(cfg, "apply", &t->apply,
				      t->apply_timeout_ms, t, dir, rb) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		json_object_set_new(rb, "error", json_string(error_last()));
	free(dir);
	return rc;
}

void tracked_end(struct tracked *tr)
{
	if (tr->open)
		stable_close(&tr->s);
	tr->open = false;
}

/* "  restored   conf/app.yaml" lines, at most max of them. */
static void print_files(FILE *out, const json_t *files, size_t max)
{
	size_t i;
	json_t *f;

	json_array_foreach(files, i, f) {
		if (i == max) {
			fprintf(out, "  … and %zu more\n",
				json_array_size(files) - max);
			break;
		}
		fprintf(out, "  %-10s %s\n", json_string_value(json_object_get(
			f, "change")), json_string_value(json_object_get(f,
			"path")));
	}
}

/*
 * What a rollback would run, in order and where, each command as it would
 * be typed, indented by ind: the plan's and the dry run's account.
 */
static void print_commands(const struct config_tracked *t, const char *to,
			   const char *ind, FILE *out)
{
	char *dir = project_path(t), *cmd, buf[32];
	int n = 1;

	if (t->before_restore.n || t->apply.n)
		fprintf(out, "%sa rollback runs, in %s:\n", ind, dir);
	else
		fprintf(out, "%sa rollback restores the files only (no "
			"before_restore, no apply)\n", ind);
	if (t->before_restore.n) {
		cmd = argv_text(&t->before_restore);
		units_format_duration(t->before_restore_timeout_ms, buf,
				      sizeof(buf));
		fprintf(out, "%s  %d. before_restore, on the files as they are "
			"(timeout %s): %s\n", ind, n++, buf, cmd);
		free(cmd);
	}
	if (t->before_restore.n || t->apply.n)
		fprintf(out, "%s  %d. the files return to %s\n", ind, n++, to);
	if (t->apply.n) {
		cmd = argv_text(&t->apply);
		units_format_duration(t->apply_timeout_ms, buf, sizeof(buf));
		fprintf(out, "%s  %d. apply (timeout %s): %s\n", ind, n++, buf,
			cmd);
		free(cmd);
	} else if (t->before_restore.n) {
		fprintf(out, "%s  (no apply: nothing is started again after "
			"the files are restored)\n", ind);
	}
	free(dir);
}

bool tracked_preview(const struct config_job *job, const char *to, FILE *out)
{
	struct stable s;
	stable_id target;
	json_t *files = NULL;
	char sh[8];

	if (stable_open(&job->tracked, &s) < 0)
		return false;
	if (stable_resolve(&s, to, target) < 0 ||
	    stable_changes(&s, target, &files) < 0) {
		stable_close(&s);
		return false;
	}
	fprintf(out, "rollback of %s to %s (%s) would change %zu file%s:\n",
		job->tracked.repo, stable_short(target, sh), to,
		json_array_size(files), json_array_size(files) == 1 ? "" : "s");
	print_files(out, files, (size_t)-1);
	print_commands(&job->tracked, to, "", out);
	fprintf(out, "then the job's %zu validation check%s\nnothing was "
		"changed (dry run)\n", job->validate.n,
		job->validate.n == 1 ? "" : "s");
	json_decref(files);
	stable_close(&s);
	return true;
}

bool tracked_plan(const struct config_job *job, FILE *out)
{
	struct stable s;
	struct stable_snap snap = { 0 };
	stable_id stable, head;
	json_t *files = NULL;
	char a[8], b[8];
	int have;

	if (stable_open(&job->tracked, &s) < 0) {
		fprintf(out, "tracked config: cannot be used: %s\n(a real run "
			"would stop here, before any step)\n", error_last());
		return false;
	}
	have = stable_current(&s, stable);
	if (have < 0 || stable_resolve(&s, "HEAD", head) < 0 ||
	    stable_changes(&s, have ? stable : head, &files) < 0) {
		fprintf(out, "tracked config: cannot be used: %s\n",
			error_last());
		stable_close(&s);
		return false;
	}
	/* stable_snapshot would write objects; the branch name is enough. */
	{
		git_reference *h = NULL;

		snprintf(snap.branch, sizeof(snap.branch), "%s",
			 git_repository_head(&h, s.repo) == 0 &&
			 !git_repository_head_detached(s.repo) ?
			 git_reference_shorthand(h) : "(detached HEAD)");
		git_reference_free(h);
	}
	fprintf(out, "tracked config: %s on %s at %s; ", job->tracked.repo,
		snap.branch, stable_short(head, a));
	if (have)
		fprintf(out, "last-stable %s (%zu file%s differ%s from it now)\n",
			stable_short(stable, b), json_array_size(files),
			json_array_size(files) == 1 ? "" : "s",
			json_array_size(files) == 1 ? "s" : "");
	else
		fprintf(out, "no last-stable yet (a rollback would return to "
			"the run's start snapshot)\n");
	print_files(out, files, 20);
	fprintf(out, "  a run snapshots it first; if every step and check "
		"passes, last-stable moves to it;\n  if a step asks for "
		"rollback or validation fails, the files return to %s\n",
		have ? "last-stable" : "the start snapshot");
	print_commands(&job->tracked, have ? "last-stable" :
		       "the start snapshot", "  ", out);
	json_decref(files);
	stable_close(&s);
	return true;
}

/*
 * Removes the lock files the dead restorer left in the repository, saying
 * so on stderr and in rb ("stale_locks_removed"). -1 when one is not
 * provably stale (error_set says whose it is and what to do).
 */
static int recover_locks(struct tracked *tr, json_t *rb, const char *run_id)
{
	json_t *who = json_object_get(rb, "restorer"), *removed, *p;
	pid_t pid = (pid_t)json_integer_value(json_object_get(who, "pid"));
	unsigned long long ticks = (unsigned long long)json_integer_value(
		json_object_get(who, "pid_start"));
	size_t i;

	/* The host lock says no upkeep runs; this says the restorer is not
	 * somehow still alive (its pid reused by another process is fine). */
	if (pid > 0 && ticks && pid != getpid() && proc_start_ticks(pid) == ticks)
		return error_set("process %ld, which was restoring '%s' for run "
				 "%s, is still running; wait for it or stop it "
				 "(kill %ld), then run any upkeep command",
				 (long)pid, tr->s.t->repo, run_id, (long)pid);
	if (stable_clear_stale_locks(&tr->s, (time_t)json_integer_value(
			json_object_get(who, "began")), &removed) < 0) {
		json_decref(removed);
		return -1;
	}
	json_array_foreach(removed, i, p)
		fprintf(stderr, "upkeep: removed the stale %s left by run %s "
			"(no process had it open)\n", json_string_value(p), run_id);
	if (json_array_size(removed))
		json_object_set_new(rb, "stale_locks_removed", removed);
	else
		json_decref(removed);
	return 0;
}

/*
 * When the dead run got as far as its rollback commit, this attempt needs
 * none ("commit" null): HEAD moved off "from" and has target's tree, so
 * HEAD is that commit.
 */
static void recover_commit(struct tracked *tr, json_t *rb)
{
	const char *from = json_string_value(json_object_get(rb, "from"));
	const char *target = json_string_value(json_object_get(rb, "target"));
	stable_id head;
	json_t *diff = NULL;

	if (!json_is_null(json_object_get(rb, "commit")) || !from || !target ||
	    stable_resolve(&tr->s, "HEAD", head) < 0 || !strcmp(head, from) ||
	    stable_compare(&tr->s, head, target, &diff) < 0 ||
	    json_array_size(diff)) {
		json_decref(diff);
		return;
	}
	json_decref(diff);
	json_object_set_new(rb, "commit", json_string(head));
	json_object_set_new(rb, "commit_by", json_string("the interrupted run"));
}

int tracked_recover(const struct config *cfg, json_t *rec)
{
	json_t *rb = json_object_get(rec, "rollback");
	const char *phase = json_string_value(json_object_get(rb, "phase"));
	const char *run_id = json_string_value(json_object_get(rec, "run_id"));
	const char *name = json_string_value(json_object_get(rec, "job"));
	const char *target = json_string_value(json_object_get(rb, "target"));
	const struct config_job *job = name ? config_job_find(cfg, name) : NULL;
	struct tracked tr = { 0 };
	char why[300];
	int rc = 1;

	/* "recovery-failed": an earlier attempt failed and its journal was
	 * kept (written back or not); try again, it converges. */
	if (!phase || (strcmp(phase, "restoring") != 0 &&
		       strcmp(phase, "recovery-failed") != 0))
		return 0;
	if (!run_id)
		run_id = "?";
	fprintf(stderr, "upkeep: run %s died while rolling back its tracked "
		"config; finishing the rollback first\n", run_id);
	snprintf(why, sizeof(why), "%s (finished by the next upkeep)",
		 json_string_value(json_object_get(rb, "reason")) ?: "?");
	snprintf(tr.ref, sizeof(tr.ref), "refs/upkeep/runs/%s", run_id);
	snprintf(tr.snap.commit, sizeof(tr.snap.commit), "%s",
		 json_string_value(json_object_get(json_object_get(rec,
			"tracked_config"), "snapshot")) ?: "");
	json_object_del(rb, "error");
	if (!job || !job->has_tracked) {
		error_set("job '%s' or its tracked_config is gone from the "
			  "config; restore %s by hand (git -C REPO checkout %s "
			  "-- . && git -C REPO clean -fd)", name ? name : "?",
			  target ? target : "?", target ? target : "?");
		rc = -1;
	} else if (!target) {
		error_set("the journal of run %s names no rollback target; "
			  "restore the files of '%s' by hand (git checkout "
			  "COMMIT -- . && git clean -fd)", run_id,
			  job->tracked.repo);
		rc = -1;
	} else if (stable_open(&job->tracked, &tr.s) < 0) {
		rc = -1;
	} else {
		tr.open = true;
		if (recover_locks(&tr, rb, run_id) < 0) {
			rc = -1;
		} else if (tracked_restore(&tr, cfg, job, why, clock_now(),
					   rb) < 0) {
			/* Files and commit done, apply failed: the rollback
			 * is as finished as a run whose apply fails; trying
			 * apply again at every upkeep command would not be. */
			rc = json_is_false(json_object_get(json_object_get(rb,
				"apply"), "ok")) ? 2 : -1;
		}
		if (rc != -1)
			recover_commit(&tr, rb);
	}
	tracked_end(&tr);
	json_object_set_new(rb, "phase", json_string(rc == 1 ?
		"completed-by-recovery" : rc == 2 ? "apply-failed-in-recovery" :
		"recovery-failed"));
	if (rc != 1) {
		json_object_set_new(rb, "error", json_string(error_last()));
		fprintf(stderr, "upkeep: error: %s the rollback of run %s: %s%s\n",
			rc == 2 ? "restored the files but could not finish" :
			"could not finish", run_id, error_last(), rc == 2 ? "" :
			"; its journal stays and the next upkeep command tries "
			"again");
		return rc == 2 ? 1 : -1;
	}
	fprintf(stderr, "upkeep: finished the rollback of run %s\n", run_id);
	return rc;
}
