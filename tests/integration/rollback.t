#!/usr/bin/env bash
# The git-tracked last-stable config: run snapshots, promotion after a good
# run, automatic rollback (failed step, failed validation), first runs,
# crash during a rollback, refusals, retention and a 5,000-file tree. Every
# outcome is checked with the git CLI (the independent oracle) and the
# file system, not with upkeep's own summary.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp/home
mkdir -p "$HOME"
git config --global user.name tester
git config --global user.email tester@example.invalid
git config --global init.defaultBranch main

cfg=$tmp/cfg app=$tmp/app
mkdir -p "$cfg/schedules" "$cfg/jobs"
cat >"$cfg/schedules/sunday.yaml" <<'YAML'
window: sunday
start: "Sun *-*-* 02:00"
duration: 2h
YAML
U() { "$UPKEEP" --config "$cfg" "$@"; }
G() { git -C "$app" "$@"; }
field() {
	U history --json |
		"$PY" -c "import json,sys; r=json.load(sys.stdin)[-1]; print(eval(sys.argv[1]))" "$1"
}

# The app's config: nested dirs, an executable, a symlink, a binary file,
# and an ignored .env that upkeep must never touch.
mkdir -p "$app/conf.d/deep"
printf 'healthy=yes\n' >"$app/app.conf"
printf 'a\n' >"$app/conf.d/a.conf"
printf 'deep\n' >"$app/conf.d/deep/d.conf"
printf '#!/bin/sh\necho run\n' >"$app/run.sh"
chmod +x "$app/run.sh"
ln -s app.conf "$app/current"
head -c 4096 /dev/urandom >"$app/blob.bin"
printf '.env\n' >"$app/.gitignore"
printf 'SECRET=1\n' >"$app/.env"
G init -q && G add -A && G commit -qm "initial config"
first=$(G rev-parse HEAD)

# job J: the step fails when $tmp/fail-step exists (on_failure: rollback);
# validation wants healthy=yes and no $tmp/fail-validation.
job() {
	cat >"$cfg/jobs/deploy.yaml" <<YAML
job: deploy
windows: [sunday]
tracked_config:
  repo: $app
  apply: [sh, -c, "echo applied >>$tmp/applied"]
  keep_runs: ${KEEP:-52}
steps:
  - { name: work, kind: command, run: [sh, -c, "test ! -e $tmp/fail-step"], timeout: 1m, on_failure: rollback }
validate:
  - { name: healthy, kind: command, run: [grep, -qx, healthy=yes, "$app/app.conf"] }
  - { name: no forced failure, kind: command, run: [test, "!", -e, "$tmp/fail-validation"] }
YAML
}
job
index_sum() { sha256sum "$app/.git/index" | cut -d' ' -f1; }

# ---- a dry run moves no ref --------------------------------------------
run U --now '2026-11-22 02:00' plan deploy
is "$rc" 0 "plan exits 0" || diag "$out$err"
like "$out" "tracked config: .*app on main at ${first:0:7}" "the plan names the tracked config"
is "$(G for-each-ref refs/upkeep | wc -l)" 0 "a plan creates no ref"

# ---- first run: success promotes HEAD (clean tree) ----------------------
idx=$(index_sum)
run U --now '2026-11-22 02:00' run deploy
is "$rc" 0 "run 1 succeeds" || diag "$out$err"
is "$(G rev-parse refs/upkeep/last-stable)" "$first" "last-stable = HEAD (the tree was clean)"
run1=$(field 'r["run_id"]')
is "$(G rev-parse "refs/upkeep/runs/$run1^{tree}")" "$(G rev-parse 'HEAD^{tree}')" "the run snapshot has HEAD's tree"
is "$(G rev-parse "refs/upkeep/runs/$run1^")" "$first" "the snapshot's parent is HEAD"
is "$(field 'r["tracked_config"]["promoted"]')" "{'from': None, 'to': '$first'}" "the record says last-stable: none → HEAD"
is "$(G rev-parse HEAD)" "$first" "HEAD did not move"
is "$(index_sum)" "$idx" "the index file is untouched"

# ---- uncommitted and untracked changes are captured ----------------------
printf 'healthy=yes\n# tuned\n' >"$app/app.conf"
printf 'new\n' >"$app/conf.d/new.conf"
printf 'SECRET=2\n' >"$app/.env"
rm "$app/conf.d/deep/d.conf"
before_status=$(G status --porcelain)
idx=$(index_sum)
run U --now '2026-11-22 02:10' run deploy
is "$rc" 0 "run 2 (dirty tree) succeeds" || diag "$out$err"
run2=$(field 'r["run_id"]')
snap=$(G rev-parse "refs/upkeep/runs/$run2")
is "$(G show "$snap:conf.d/new.conf")" "new" "the untracked file is in the snapshot"
is "$(G show "$snap:app.conf" | tail -1)" "# tuned" "the uncommitted edit is in the snapshot"
fails "the ignored .env is not in the snapshot" G cat-file -e "$snap:.env"
fails "the uncommitted deletion is in the snapshot" G cat-file -e "$snap:conf.d/deep/d.conf"
is "$(G rev-parse refs/upkeep/last-stable)" "$snap" "last-stable = the snapshot commit (the tree was dirty)"
is "$(G status --porcelain)" "$before_status" "the work tree's changes are left as they were"
is "$(index_sum)" "$idx" "the index file is untouched"
is "$(G rev-parse HEAD)" "$first" "HEAD did not move"
G add -A && G commit -qm "tuning"
stable=$snap
git -C "$app" checkout -q "$first" -- conf.d/deep/d.conf && G add -A && G commit -qm "d.conf back" && G update-ref refs/upkeep/last-stable HEAD
stable=$(G rev-parse HEAD)

# ---- a breaking change: validation fails, rollback restores --------------
printf 'healthy=no\n' >"$app/app.conf"
G rm -q conf.d/a.conf
G mv conf.d/deep/d.conf conf.d/deep/moved.conf
printf 'extra\n' >"$app/extra.conf"
chmod -x "$app/run.sh"
ln -sfn run.sh "$app/current"
head -c 4096 /dev/urandom >"$app/blob.bin"
G add -A && G commit -qm "break the app"
broken=$(G rev-parse HEAD)
printf 'stray\n' >"$app/conf.d/deep/untracked.conf"
printf 'SECRET=3\n' >"$app/.env"
rm -f "$tmp/applied"
run U --now '2026-11-22 02:20' run deploy
is "$rc" 1 "run 3 (broken config) exits 1" || diag "$out$err"
run3=$(field 'r["run_id"]')
is "$(field 'r["status"]')" "rolled-back" "status rolled-back (validation passed after the rollback)"
is "$(field 'r["rollback"]["reason"]')" "validation failed (healthy)" "the reason names the failed check"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$stable^{tree}")" "HEAD's tree is last-stable's tree"
is "$(G rev-parse HEAD^)" "$broken" "the rollback commit sits on top of the broken one (history keeps it)"
like "$(G log -1 --format=%s)" "^upkeep: roll back to ${stable:0:7} after run $run3: validation failed \\(healthy\\)$" "the rollback commit's message"
is "$(G status --porcelain)" "" "the work tree ends clean"
is "$(G diff --stat "$stable" -- .)" "" "no file differs from last-stable"
ok "the changed file is restored" grep -qx healthy=yes "$app/app.conf"
ok "the deleted file is back" test -f "$app/conf.d/a.conf"
ok "the renamed file is back under its old name" test -f "$app/conf.d/deep/d.conf"
ok "the renamed-to file is gone" test ! -e "$app/conf.d/deep/moved.conf"
ok "the added file is removed" test ! -e "$app/extra.conf"
ok "the untracked file is removed" test ! -e "$app/conf.d/deep/untracked.conf"
ok "the executable bit is back" test -x "$app/run.sh"
is "$(readlink "$app/current")" "app.conf" "the symlink points where it did"
is "$(G show "$stable:blob.bin" | sha256sum)" "$(sha256sum <"$app/blob.bin")" "the binary file is restored byte for byte"
is "$(cat "$app/.env")" "SECRET=3" "the ignored .env is untouched"
failed_tree=$(G ls-tree -r --name-only "refs/upkeep/runs/$run3")
like "$failed_tree" "conf.d/deep/untracked.conf" "the run's ref keeps the failed state (with its untracked file)"
is "$(cat "$tmp/applied")" "applied" "apply ran once"
is "$(field 'r["rollback"]["commit"]')" "$(G rev-parse HEAD)" "the record names the rollback commit"
like "$(field 'sorted(f["path"]+":"+f["change"] for f in r["rollback"]["files"])')" "'extra.conf:removed'" "the record lists the removed file"
like "$(field 'sorted(f["path"]+":"+f["change"] for f in r["rollback"]["files"])')" "'conf.d/a.conf:re-created'" "... and the re-created one"
is "$(G rev-parse refs/upkeep/last-stable)" "$stable" "last-stable did not move"
md3=$(cat "$cfg"/reports/runs/2026/"$run3".md)
like "$md3" "## Rollback" "the Markdown report has a rollback section"
like "$md3" "\| restored \| ${broken:0:7} → ${stable:0:7} \(last-stable\) \|" "... naming from and to"
like "$md3" "\| extra.conf \| removed \|" "... and listing the files put back"
like "$md3" "## Validation after the rollback" "... and the validation that followed"
like "$(cat "$cfg"/reports/runs/2026/"$run1".md)" "\| last-stable \| none → ${first:0:7} \(promoted\) \|" \
	"run 1's report says last-stable: none → HEAD"

# ---- a failed step with on_failure: rollback ------------------------------
printf 'healthy=yes\n# drift\n' >"$app/app.conf"
G commit -qam "drift"
touch "$tmp/fail-step"
run U --now '2026-11-22 02:30' run deploy
is "$(field 'r["status"]')" "rolled-back" "a failed rollback step: rolled-back"
is "$(field 'r["rollback"]["reason"]')" "step 'work' failed" "the reason names the step"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$stable^{tree}")" "the drift is rolled back"
rm -f "$tmp/fail-step"

# ---- validation still failing after the rollback: rollback-failed ---------
touch "$tmp/fail-validation"
printf 'healthy=yes\n# drift 2\n' >"$app/app.conf"
run U --now '2026-11-22 02:40' run deploy
is "$(field 'r["status"]')" "rollback-failed" "validation fails after the rollback: rollback-failed"
is "$rc" 1 "exit 1"
is "$(G status --porcelain)" "" "the files were still restored"
rm -f "$tmp/fail-validation"

# ---- kill -9 during the rollback: the next upkeep finishes it ----------------
printf 'healthy=no\n' >"$app/app.conf"
printf 'x\n' >"$app/conf.d/more.conf"
G add -A && G commit -qm "break again"
broken2=$(G rev-parse HEAD)
# strace holds upkeep once the checkout has removed conf.d/more.conf
# (which last-stable does not have), before it restores app.conf: from
# outside, at the same point every time. upkeep stays this shell's
# child, reaped here.
hold_at "$app/conf.d/more.conf" -e trace=unlink,unlinkat -e inject=unlink,unlinkat:delay_exit=60000000 -- \
	"$UPKEEP" --config "$cfg" --now '2026-11-22 02:50' run deploy
pid=$held_pid tracer=$tracer_pid
for _ in $(seq 100); do
	[ -e "$app/conf.d/more.conf" ] || break
	sleep 0.1
done
ok "the journal holds the rollback intent" grep -qs '"restoring"' "$cfg"/state/journal/*.journal
ok "held half-restored: conf.d/more.conf is removed" test ! -e "$app/conf.d/more.conf"
ok "... and app.conf not restored yet" grep -qx healthy=no "$app/app.conf"
kill -9 "$pid"; kill -9 "$tracer"; wait "$tracer" "$pid" 2>/dev/null
run U history
like "$err" "finished the rollback of run" "the next invocation says it finished the rollback"
is "$(field 'r["status"]')" "interrupted" "the killed run is recorded as interrupted"
is "$(field 'r["rollback"]["phase"]')" "completed-by-recovery" "... with its rollback completed by recovery"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$stable^{tree}")" "the tree is last-stable's"
is "$(G status --porcelain)" "" "nothing is left half-restored"
is "$(G log -1 --format=%s)" "upkeep: roll back to ${stable:0:7} after run $(field 'r["run_id"]'): validation failed (healthy) (finished by the next upkeep)" "the recovery wrote the rollback commit"
is "$(G rev-parse "refs/upkeep/runs/$(field 'r["run_id"]')^{tree}")" "$(G rev-parse "$broken2^{tree}")" \
	"the run's ref keeps the failed state, not the half-restored tree recovery found"
is "$(field 'r["rollback"]["commit"]')" "$(G rev-parse HEAD)" "the record names the commit recovery wrote"

# ---- first run with no last-stable: the target is the start snapshot ------
G update-ref -d refs/upkeep/last-stable
start=$(G rev-parse HEAD)
touch "$tmp/fail-step"
run U --now '2026-11-22 03:00' run deploy
is "$(field 'r["rollback"]["target_is"]')" "the run's start snapshot (no last-stable yet)" "first run: target is the start snapshot"
is "$(field 'r["status"]')" "rolled-back" "and the run rolls back to it"
is "$(G rev-parse HEAD)" "$start" "no commit was needed (the tree did not change)"
rm -f "$tmp/fail-step"

# ---- retention of run refs --------------------------------------------------
KEEP=2 job
for m in 10 11 12; do U --now "2026-11-22 03:$m" run deploy >/dev/null 2>&1; done
is "$(G for-each-ref refs/upkeep/runs | wc -l)" 2 "keep_runs: 2 leaves the 2 newest run refs"
ok "the last-stable commit is still there" G cat-file -e "$(G rev-parse refs/upkeep/last-stable)^{commit}"
job

# ---- upkeep status and upkeep rollback by hand --------------------------------
stable=$(G rev-parse refs/upkeep/last-stable)
printf 'healthy=yes\n# by hand\n' >"$app/app.conf"
G commit -qam "by hand"
handmade=$(G rev-parse HEAD)
printf 'dirty\n' >"$app/conf.d/dirty.conf"
run U --now '2026-11-22 03:20' status
is "$rc" 0 "status exits 0" || diag "$err"
like "$out" "HEAD +${handmade:0:7}" "status shows HEAD"
like "$out" "last-stable +${stable:0:7}" "status shows last-stable"
like "$out" "differ from it +1 file"$'\n'" +app.conf" "status lists the file that differs from last-stable"
like "$out" "uncommitted +1 file"$'\n'" +conf.d/dirty.conf" "status lists the uncommitted file"
is "$(U status --json | "$PY" -c 'import json,sys; j=json.load(sys.stdin)[0]; print(j["tracked_config"]["last_stable"], j["last_run"]["status"])')" "$stable succeeded" "status --json"
run U --now '2026-11-22 03:20' rollback deploy --dry-run
is "$rc" 0 "rollback --dry-run exits 0" || diag "$err"
like "$out" "would change 2 files:"$'\n'" +restored +app.conf"$'\n'" +removed +conf.d/dirty.conf" "the dry run lists what would change"
is "$(G rev-parse HEAD)" "$handmade" "the dry run moved nothing"
ok "the dry run removed nothing" test -e "$app/conf.d/dirty.conf"
rm -f "$tmp/applied"
run U --now '2026-11-22 03:21' rollback deploy
is "$rc" 0 "rollback by hand exits 0" || diag "$out$err"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$stable^{tree}")" "by hand: the tree is last-stable's"
is "$(G status --porcelain)" "" "by hand: the work tree is clean"
is "$(field 'r["status"], r["trigger"]')" "('rolled-back', 'manual rollback')" "by hand: recorded as a manual rollback"
is "$(cat "$tmp/applied")" "applied" "by hand: apply ran"
run U --now '2026-11-22 03:22' rollback deploy --to "$handmade"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$handmade^{tree}")" "--to COMMIT: the tree is that commit's"
like "$(G log -1 --format=%s)" "after run .*: a manual rollback to $handmade" "--to: the commit says why"
run U rollback deploy --to no-such-ref --dry-run
is "$rc" 1 "--to a missing ref fails"
like "$err" "no commit 'no-such-ref' there" "... and says so"
G update-ref -d refs/upkeep/last-stable
run U --now '2026-11-22 03:23' rollback deploy
is "$rc" 1 "no last-stable and no --to: exit 1"
like "$err" "has no last-stable config yet .*--to REF" "... says to name a commit"
is "$(field 'r["started"]')" "2026-11-22T03:22:00Z" "... and records no run"
G update-ref refs/upkeep/last-stable "$stable"

# ---- refusals ----------------------------------------------------------------
refuse() { # NAME REPO-PATH PATTERN
	sed -i "s|^  repo: .*|  repo: $2|" "$cfg/jobs/deploy.yaml"
	run U --now '2026-11-22 03:30' run deploy
	is "$rc" 3 "$1: nothing runs (exit 3)"
	like "$err$out" "$3" "$1: says why"
	is "$(field 'r["status"]')" "skipped-precheck" "$1: recorded as skipped-precheck"
}
refuse "missing repo" "$tmp/nowhere" "tracked config '$tmp/nowhere' does not exist"
mkdir -p "$tmp/plain"
refuse "not a work tree" "$tmp/plain" "is not a git work tree"
git init -q --bare "$tmp/bare.git"
refuse "bare repo" "$tmp/bare.git" "is a bare repository"
git init -q "$tmp/empty"
refuse "no commit yet" "$tmp/empty" "has no commit yet"
git init -q "$tmp/merge" && (cd "$tmp/merge" && echo a >f && git add f && git commit -qm a &&
	git checkout -qb other && echo b >f && git commit -qam b && git checkout -q main &&
	echo c >f && git commit -qam c && git merge -q other >/dev/null 2>&1)
refuse "merge in progress" "$tmp/merge" "is in the middle of a merge"
git -C "$tmp/merge" merge --abort
git -C "$tmp/merge" update-ref refs/upkeep/last-stable HEAD
printf '0123456789012345678901234567890123456789\n' >"$tmp/merge/.git/refs/upkeep/last-stable"
refuse "last-stable to a missing object" "$tmp/merge" "points to 0123456789012345678901234567890123456789, which is not a commit"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	cp -a "$app" "$tmp/owned" && chown -R nobody "$tmp/owned"
	refuse "owned by another user" "$tmp/owned" "is owned by uid [0-9]+, not by the user upkeep runs as"
fi
sed -i "s|^  repo: .*|  repo: $app|" "$cfg/jobs/deploy.yaml"

# ---- 5,000 files, 50 changed: rollback restores them all ---------------------
big=$tmp/big
mkdir -p "$big"
for d in $(seq 50); do
	mkdir -p "$big/d$d"
	for f in $(seq 100); do printf '%s %s\n' "$d" "$f" >"$big/d$d/f$f"; done
done
printf 'healthy=yes\n' >"$big/app.conf"
git -C "$big" init -q && git -C "$big" add -A && git -C "$big" commit -qm big
sed -i "s|^  repo: .*|  repo: $big|; s|$app/app.conf|$big/app.conf|" "$cfg/jobs/deploy.yaml"
run U --now '2026-11-22 03:40' run deploy
is "$(field 'r["status"]')" "succeeded" "5,000 files: a run succeeds and promotes"
for d in $(seq 50); do printf 'changed\n' >"$big/d$d/f7"; done
printf 'healthy=no\n' >"$big/app.conf"
run U --now '2026-11-22 03:50' run deploy
is "$(field 'r["status"]')" "rolled-back" "5,000 files: 51 changed files roll back"
is "$(field 'len(r["rollback"]["files"])')" 51 "the record lists the 51 files"
is "$(git -C "$big" status --porcelain)" "" "and the tree is clean"

done_testing
