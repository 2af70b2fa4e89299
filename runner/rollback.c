/*
 * A run's tracked config: see rollback.h.
 */
#include "rollback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "proc.h"
#include "util/error.h"
#include "util/text.h"

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

static void on_apply_output(void *arg, const char *data, size_t len)
{
	(void)arg;
	log_output(APPLY_STEP, data, len);
}

/* Runs the apply argv in the work tree; records it under rb's "apply". */
static int run_apply(const struct config *cfg, const struct config_tracked *t,
		     json_t *rb)
{
	struct proc_spec spec = {
		.argv = t->apply.v, .cwd = t->repo,
		.timeout_ms = t->apply_timeout_ms,
		.kill_grace_ms = cfg->settings.kill_grace_ms,
		.on_output = on_apply_output,
	};
	struct proc_result res;
	char summary[400];
	char *cmd, *tail;
	bool ok;

	if (!t->apply.n)
		return 0;
	cmd = strv_join(&t->apply, " ");
	if (proc_run(&spec, &res) < 0) {
		snprintf(summary, sizeof(summary), "apply '%s' did not start: %s",
			 cmd, error_last());
		ok = false;
	} else {
		ok = !res.timed_out && res.exit_code == 0;
		if (res.timed_out)
			snprintf(summary, sizeof(summary), "apply '%s' timed out",
				 cmd);
		else if (res.signal)
			snprintf(summary, sizeof(summary), "apply '%s' was killed "
				 "by signal %d", cmd, res.signal);
		else
			snprintf(summary, sizeof(summary), "apply '%s' exited "
				 "with %d", cmd, res.exit_code);
	}
	tail = text_sanitize(res.tail ? res.tail : "", res.tail_len);
	json_object_set_new(rb, "apply", json_pack("{s:b, s:s, s:I, s:s}",
		"ok", ok, "summary", summary, "duration_ms",
		(json_int_t)res.duration_ms, "output_tail", tail));
	free(tail);
	free(cmd);
	proc_result_free(&res);
	log_msg(ok ? LOG_INFO : LOG_ERROR, APPLY_STEP, "%s", summary);
	if (!ok)
		return error_set("%s", summary);
	return 0;
}

int tracked_restore(struct tracked *tr, const struct config *cfg,
		    const struct config_job *job, const char *why, time_t when,
		    json_t *rb)
{
	const char *target = json_string_value(json_object_get(rb, "target"));
	stable_id commit;
	json_t *files = NULL;
	char sh[8], msg[512];

	/* "after run <run-id>: <reason>" in the rollback commit's message */
	snprintf(msg, sizeof(msg), "run %s: %s",
		 tr->ref + strlen("refs/upkeep/runs/"), why);
	if (stable_restore(&tr->s, target, tr->ref, tr->snap.commit, msg, when,
			   commit, &files) < 0) {
		json_object_set_new(rb, "error", json_string(error_last()));
		json_decref(files);
		return -1;
	}
	json_object_set_new(rb, "commit", *commit ? json_string(commit) :
			    json_null());
	log_msg(LOG_WARN, NULL, "rolled back %s to %s: %zu file%s restored%s%.7s",
		job->tracked.repo, stable_short(target, sh),
		json_array_size(files), json_array_size(files) == 1 ? "" : "s",
		*commit ? "; commit " : "", commit);
	json_object_set_new(rb, "files", files);
	if (run_apply(cfg, &job->tracked, rb) < 0) {
		json_object_set_new(rb, "error", json_string(error_last()));
		return -1;
	}
	return 0;
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
	if (job->tracked.apply.n) {
		char *cmd = strv_join(&job->tracked.apply, " ");

		fprintf(out, "then apply would run: %s\n", cmd);
		free(cmd);
	}
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
