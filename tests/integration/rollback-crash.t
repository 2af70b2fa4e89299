#!/usr/bin/env bash
# kill -9 of upkeep during a rollback of a 2,000-file tracked config, at the
# moment libgit2 holds .git/index.lock (aimed with inotify: the lock lives
# for about a millisecond, at the end of the checkout) and at other moments,
# then the next upkeep command finishes the rollback: it removes the stale
# lock files upkeep left (index.lock, HEAD.lock, refs/heads/main.lock),
# never one a live process holds or one older than the rollback, keeps the
# journal until the rollback really finished, and converges however often
# it is interrupted. Outcomes are checked with the git CLI and the file
# system; the record only for what it says.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
command -v strace >/dev/null || bail_out "strace is missing (scripts/deps.sh installs it)"
export GIT_CONFIG_NOSYSTEM=1 HOME=$tmp/home
mkdir -p "$HOME"
git config --global user.name tester
git config --global user.email tester@example.invalid
git config --global init.defaultBranch main
# no background "git gc --auto" holding its own locks while upkeep works
git config --global gc.auto 0

cfg=$tmp/cfg app=$tmp/app
mkdir -p "$cfg/schedules" "$cfg/jobs" "$app"
printf 'window: w\nstart: "*-*-* 00:00"\nduration: 23h\n' >"$cfg/schedules/w.yaml"
cat >"$cfg/jobs/deploy.yaml" <<YAML
job: deploy
windows: [w]
tracked_config:
  repo: $app
  apply: [sh, -c, "echo applied >>$tmp/applied"]
steps:
  - { name: work, kind: command, run: ["true"], timeout: 1m }
validate:
  - { name: healthy, kind: command, run: [grep, -qx, healthy=yes, "$app/app.conf"] }
YAML
U() { "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' "$@"; }
G() { git -C "$app" "$@"; }
last() {
	U history --json 2>/dev/null |
		"$PY" -c "import json,sys; r=json.load(sys.stdin)[-1]; print(eval(sys.argv[1]))" "$1"
}
# how many runs have a journal (one file each, <run-id>.journal)
journals() { ls "$cfg/state/journal" 2>/dev/null | grep -c '\.journal$'; }

# 2,000 files in 20 directories: the checkout takes a while, and the index
# libgit2 writes at its end is big enough to be caught being written.
files() { # files TEXT HEALTHY: every file rewritten
	"$PY" - "$app" "$1" "$2" <<'PY'
import os, sys
app, text, healthy = sys.argv[1:]
for i in range(2000):
    d = f"{app}/d{i // 100:02d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/f{i:04d}", "w") as f:
        f.write(f"{text} {i}\n" * 8)
with open(f"{app}/app.conf", "w") as f:
    f.write(f"healthy={healthy}\n")
PY
}
files good yes
G init -q && G add -A && G commit -qm "good config"
run U run deploy
is "$(last 'r["status"]')" succeeded "a good run promotes last-stable" || diag "$out$err"
stable=$(G rev-parse refs/upkeep/last-stable)
n=0
break_app() { # a broken commit changing every file; sets $broken
	n=$((n + 1))
	files "broken $n" no
	G add -A && G commit -qm "broken $n"
	broken=$(G rev-parse HEAD)
	rm -f "$tmp/applied"
}

# aim.py NAME -- CMD...: runs CMD (niced) and SIGKILLs it the moment
# .git/NAME is created (inotify, real-time priority when allowed); prints
# "hit" when NAME still exists after the kill, "late" when it was gone
# already, "none" when CMD ended without creating it.
cat >"$tmp/aim.py" <<'PY'
import ctypes, os, select, signal, subprocess, sys
gitdir, name, cmd = sys.argv[1], sys.argv[2], sys.argv[4:]
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_CLOEXEC)
if fd < 0 or libc.inotify_add_watch(fd, gitdir.encode(), 0x100) < 0:  # IN_CREATE
    sys.exit("inotify: " + os.strerror(ctypes.get_errno()))
# Wake up before upkeep writes much more: one CPU for both (inherited),
# and this one first on it: real-time priority after the fork where
# allowed (root), else upkeep in SCHED_IDLE (any waking task preempts it).
# Either way every kill lands; with neither, about one in five.
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
except OSError:
    os.sched_setscheduler(p.pid, os.SCHED_IDLE, os.sched_param(0))
pfd, killed = os.pidfd_open(p.pid), False
while not killed:
    r, _, _ = select.select([fd, pfd], [], [])
    if fd in r and name.encode() in os.read(fd, 65536):
        os.kill(p.pid, signal.SIGKILL)
        killed = True
    elif pfd in r:
        break
p.wait()
print("hit" if killed and os.path.exists(os.path.join(gitdir, name))
      else "late" if killed else "none")
PY

# finished WHAT ID: the rollback of run ID is finished, by git's word.
finished() {
	local what=$1 id=$2
	like "$err" "finished the rollback of run $id" "$what: the next upkeep says it finished the rollback"
	ok "$what: no lock file is left in .git" sh -c "! find '$app/.git' -name '*.lock' | grep -q ."
	is "$(G status --porcelain | wc -l)" 0 "$what: git status is clean"
	like "$(G log -1 --format=%s)" "^upkeep: roll back to ${stable:0:7} after run $id: validation failed \\(healthy\\)" \
		"$what: HEAD is the rollback commit"
	is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse 'refs/upkeep/last-stable^{tree}')" \
		"$what: HEAD's tree is last-stable's"
	is "$(G rev-parse HEAD^)" "$broken" "$what: on top of the broken commit"
	is "$(G rev-parse "refs/upkeep/runs/$id^{tree}")" "$(G rev-parse "$broken^{tree}")" \
		"$what: the run's ref keeps the failed state, not a half-restored one"
	is "$(last 'r["run_id"], r["status"], r["rollback"]["phase"]')" \
		"('$id', 'interrupted', 'completed-by-recovery')" "$what: the record says the rollback was completed by recovery"
	is "$(last 'r["rollback"]["commit"]')" "$(G rev-parse HEAD)" "$what: the record names the rollback commit"
	is "$(journals)" 0 "$what: the journal is gone"
	ok "$what: apply ran" grep -qx applied "$tmp/applied"
}

# the id of the run whose journal is there (journal/<run-id>.journal)
journal_id() { ls "$cfg/state/journal" | sed -n 's/\.journal$//p' | head -1; }

# ---- aimed: kill -9 while libgit2 holds .git/index.lock ------------------------
hits=0 tries=0
while [ "$hits" -lt 3 ] && [ "$tries" -lt 12 ]; do
	tries=$((tries + 1))
	break_app
	got=$("$PY" "$tmp/aim.py" "$app/.git" index.lock -- "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run deploy)
	[ "$got" = hit ] || { note "aimed kill $tries: $got"; [ "$got" = late ] || continue; }
	id=$(journal_id)
	if [ "$got" = hit ]; then
		hits=$((hits + 1))
		ok "aimed kill $tries: .git/index.lock was left behind" test -e "$app/.git/index.lock"
	fi
	run U status
	[ "$got" = hit ] && like "$err" "removed the stale .git/index.lock left by run $id" \
		"aimed kill $tries: the next upkeep removes the stale lock and says so"
	finished "aimed kill $tries" "$id"
	[ "$got" = hit ] && is "$(last 'r["rollback"]["stale_locks_removed"]')" "['.git/index.lock']" \
		"aimed kill $tries: the record lists the removed lock"
done
note "aimed kills: $hits of $tries landed while .git/index.lock existed"
cmp_ok "$hits" -ge 1 "at least one kill landed while libgit2 held .git/index.lock"

# run_paused: starts a run and kills it with SIGKILL half-way through the
# checkout of its rollback (a half-restored work tree), and sets $id.
# strace holds upkeep where libgit2 opens the second file of the checkout
# for writing (d00/f0000, after app.conf): from outside, with no hook in
# upkeep, and at the same point every time. upkeep stays this shell's
# child (strace attaches to it), so it is reaped here once killed.
run_paused() {
	local upid tracer
	break_app
	hold_at "$app/d00/f0000" -e trace=openat -e inject=openat:delay_enter=60000000 -- \
		"$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run deploy
	upid=$held_pid tracer=$tracer_pid
	for _ in $(seq 400); do
		grep -qx healthy=yes "$app/app.conf" 2>/dev/null && break
		sleep 0.05
	done
	ok "paused run: held with the first file restored" grep -qx healthy=yes "$app/app.conf"
	ok "paused run: ... and the next one not yet" grep -q "^broken" "$app/d00/f0000"
	kill -9 "$upid"
	# strace would sit out the rest of its delay before letting go
	kill -9 "$tracer"
	wait "$tracer" "$upid" 2>/dev/null
	id=$(journal_id)
}

# ---- twice interrupted: mid-checkout, then the recovery itself at index.lock ---
run_paused
got=$("$PY" "$tmp/aim.py" "$app/.git" index.lock -- "$UPKEEP" --config "$cfg" status)
note "recovery killed: $got"
is "$(journals)" 1 "a recovery killed mid-way leaves the journal"
run U status
finished "recovery killed too" "$id"

# ---- stale index.lock, HEAD.lock and refs/heads/main.lock made by hand -----------
run_paused
touch "$app/.git/index.lock" "$app/.git/HEAD.lock" "$app/.git/refs/heads/main.lock"
run U status
like "$err" "removed the stale .git/HEAD.lock left by run $id" "hand-made: HEAD.lock removed and said"
like "$err" "removed the stale .git/refs/heads/main.lock left by run $id" "hand-made: refs/heads/main.lock removed and said"
like "$err" "[0-9] rollback apply: apply '[^']*' exited with 0" "recovery logs 'rollback apply: apply …' (was 'rollback applyapply …')"
finished "hand-made locks" "$id"

# ---- a lock a live process holds is never removed --------------------------------
run_paused
"$PY" - "$app/.git/index.lock" "$tmp/holder-ready" <<'PY' &
import os, signal, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
def done(*_):  # like git: finish, then remove the lock
    os.unlink(sys.argv[1]); sys.exit(0)
signal.signal(signal.SIGTERM, done)
open(sys.argv[2], "w").close()
while True:
    time.sleep(1)
PY
holder=$!
for _ in $(seq 100); do [ -e "$tmp/holder-ready" ] && break; sleep 0.05; done
run U status
like "$err" "could not finish the rollback of run $id: .*\\.git/index\\.lock is held by process $holder \\(.*python.*\\), which is still running; let it finish or stop it \\(kill $holder\\)" \
	"held lock: recovery fails naming the holder's pid and what to do"
ok "held lock: the lock is still there" test -e "$app/.git/index.lock"
ok "held lock: its holder still runs" kill -0 "$holder"
is "$(G rev-parse HEAD)" "$broken" "held lock: HEAD did not move"
is "$(journals)" 1 "held lock: the journal stays"
run U status
like "$err" "is held by process $holder" "held lock: the next command tries again and says the same"
stable=$(G rev-parse refs/upkeep/last-stable)
run U run deploy
is "$rc" 3 "held lock: a new run of the job does not start while the rollback is unfinished"
like "$err" "the rollback of '$app' by run $id is unfinished" "and says why"
is "$(G rev-parse refs/upkeep/last-stable)" "$stable" "held lock: last-stable did not move to the half-restored tree"
is "$(G rev-parse HEAD)" "$broken" "held lock: HEAD still did not move"
kill -TERM "$holder"
wait "$holder" 2>/dev/null
run U status
finished "held lock, released" "$id"

# ---- a git command that holds index.lock with no descriptor open -------------------
# git commit writes the index, closes its lock file and keeps it while
# the editor runs: no /proc fd points at it, yet git is alive.
run_paused
(cd "$app" && GIT_EDITOR="sleep 30; echo msg >" exec git -c gc.auto=0 commit -qa) >/dev/null 2>&1 &
gitpid=$!
for _ in $(seq 100); do [ -e "$app/.git/index.lock" ] && break; sleep 0.05; done
ok "git commit: it holds index.lock while its editor runs" test -e "$app/.git/index.lock"
run U status
like "$err" "\\.git/index\\.lock is held by process $gitpid \\(git .*commit" \
	"git commit: recovery refuses, naming the git process (its cwd is the work tree)"
ok "git commit: its lock is still there" test -e "$app/.git/index.lock"
is "$(journals)" 1 "git commit: the journal stays"
pkill -TERM -P "$gitpid" 2>/dev/null; kill -TERM "$gitpid" 2>/dev/null
wait "$gitpid" 2>/dev/null
for _ in $(seq 100); do [ -e "$app/.git/index.lock" ] || break; sleep 0.05; done
rm -f "$app/.git/index.lock"	# a git killed mid-commit may leave it: the operator's call
run U status
finished "git commit, stopped" "$id"

# ---- a lock older than the rollback is not upkeep's ------------------------------
run_paused
touch -d '-1 hour' "$app/.git/index.lock"
run U status
like "$err" "\\.git/index\\.lock dates from .* before the interrupted work began .* remove it \\(rm '$app/\\.git/index\\.lock'\\)" \
	"old lock: recovery refuses and says how to remove it"
ok "old lock: it is still there" test -e "$app/.git/index.lock"
is "$(journals)" 1 "old lock: the journal stays"
rm "$app/.git/index.lock"
run U status
finished "old lock, removed by hand" "$id"

# ---- the normal path: a run meeting a stale lock says which and what to do ---------
break_app
touch "$app/.git/index.lock"
run U run deploy
is "$(last 'r["status"]')" rollback-failed "a run meeting a stale index.lock: rollback-failed"
like "$(last 'r["rollback"]["error"]')" "\\.git/index\\.lock exists and no process has it open .* remove it \\(rm '$app/\\.git/index\\.lock'\\)" \
	"... and the error names the lock and what to do"
rm "$app/.git/index.lock"

done_testing
