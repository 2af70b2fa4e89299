#!/usr/bin/env bash
# `upkeep run` and `upkeep plan` end to end with command steps: windows,
# pre-checks, failure policies, deferral at the cutoff, the host lock,
# crash recovery, redaction, and that a plan changes nothing. Outcomes are
# read from the run records with python3's json, from the file system and
# from /proc, not from upkeep's own summary.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
cat >"$cfg/schedules/sunday.yaml" <<'YAML'
window: sunday
start: "Sun *-*-* 02:00"
duration: 2h
cutoff: 15m
YAML
U() { "$UPKEEP" --config "$cfg" "$@"; }
# field [JOB] EXPR: prints EXPR of r, the newest record (of JOB).
field() {
	local job=
	[ $# -eq 2 ] && { job=$1; shift; }
	U history ${job:+--job "$job"} --json |
		"$PY" -c "import json,sys; r=json.load(sys.stdin)[-1]; print(eval(sys.argv[1]))" "$1"
}

# ---- outside the window --------------------------------------------------
cat >"$cfg/jobs/a.yaml" <<YAML
job: a
windows: [sunday]
prechecks:
  - { name: marker absent, kind: command, run: [sh, -c, "test ! -e $tmp/block"] }
steps:
  - { name: one, kind: command, run: [touch, "$tmp/one"], timeout: 10s }
  - { name: two, kind: command, run: [sh, -c, "echo out; exit 2"], timeout: 10s, on_failure: continue }
  - { name: three, kind: command, run: [touch, "$tmp/three"], timeout: 10s }
  - { name: four, kind: command, run: ["false"], timeout: 10s }
  - { name: five, kind: command, run: [touch, "$tmp/five"], timeout: 10s }
validate:
  - { name: one exists, kind: command, run: [test, -e, "$tmp/one"] }
YAML
run U --now '2026-11-22 01:00' run a
is "$rc" 3 "outside the window: exit 3"
like "$err" "job 'a' runs in window 'sunday'; next opening Sun 2026-11-22 02:00:00 UTC \\(in 1h 0m\\); use --ignore-window" "names the next opening"
ok "nothing ran outside the window" test ! -e "$tmp/one"

# ---- a run with continue and abort ---------------------------------------
run U --now '2026-11-22 02:00' run a
is "$rc" 1 "a failed step: exit 1"
is "$(field 'r["status"]')" "failed" "record: failed"
is "$(field '[s["status"] for s in r["steps"]]')" "['ok', 'failed', 'ok', 'failed', 'skipped']" "continue went on, abort stopped"
is "$(field 'r["steps"][1]["output_tail"]')" "out" "output captured in the record"
is "$(field 'r["window"]["name"], r["window"]["cutoff"]')" "('sunday', '2026-11-22T03:45:00Z')" "record names the window"
is "$(field 'r["validation"][0]["passed"]')" "True" "validation ran"
ok "step one ran" test -e "$tmp/one"
ok "step three ran (after a continue)" test -e "$tmp/three"
ok "step five did not run (after an abort)" test ! -e "$tmp/five"
md=$(ls "$cfg"/reports/runs/2026/*.md | head -1)
ok "a Markdown report next to the record" grep -q '^| 4 | four | command | \*\*failed\*\*' "$md"

# ---- a failed pre-check changes nothing -----------------------------------
rm -f "$tmp/one" "$tmp/three"
touch "$tmp/block"
run U --now '2026-11-22 02:10' run a
is "$rc" 3 "pre-check failed: exit 3"
is "$(field 'r["status"], sorted(set(s["status"] for s in r["steps"]))')" "('skipped-precheck', ['skipped'])" "record: skipped-precheck, all steps skipped"
ok "no step ran" test ! -e "$tmp/one"
rm -f "$tmp/block"

# ---- --ignore-window, and deferral at the cutoff --------------------------
cat >"$cfg/jobs/b.yaml" <<YAML
job: b
windows: [sunday]
steps:
  - { name: quick, kind: command, run: ["true"], timeout: 1m }
  - { name: long, kind: command, run: [touch, "$tmp/long"], timeout: 30m }
  - { name: overrun, kind: command, run: ["true"], timeout: 30m, allow_overrun: true }
YAML
run U --now '2026-11-22 03:40' run b
is "$rc" 1 "a run with a deferred step is not a success: exit 1"
is "$(field 'r["status"]')" "incomplete" "nothing failed, something was deferred: the run is incomplete"
is "$(field '[s["status"] for s in r["steps"]]')" "['ok', 'deferred', 'ok']" "a step that would cross the window's end is deferred; allow_overrun runs"
like "$(field 'r["steps"][1]["summary"]')" "needs up to 30m; window 'sunday' closes in 20m" "deferral explained"
ok "the deferred step did not run" test ! -e "$tmp/long"
run U --now '2026-11-22 03:50' run b
is "$(field '[s["status"] for s in r["steps"]]')" "['deferred', 'deferred', 'deferred']" "past the cutoff nothing starts"
run U --now '2026-11-23 12:00' run b --ignore-window
is "$rc" 0 "--ignore-window runs outside the window"
is "$(field 'r["ignore_window"], "window" in r')" "(True, False)" "the record says it ran outside"

# ---- plan changes nothing --------------------------------------------------
mkdir -p "$tmp/data"; echo keep >"$tmp/data/file"
cat >"$cfg/jobs/c.yaml" <<YAML
job: c
windows: [sunday]
steps:
  - { name: wipe, kind: command, run: [rm, -rf, "$tmp/data"] }
  - { name: write, kind: command, shell: "echo x > $tmp/data/new" }
YAML
before=$(find "$cfg" "$tmp/data" -printf '%p %s %T@\n' | sort | md5sum)
run U --now '2026-11-22 02:00' plan c
is "$rc" 0 "plan exits 0"
like "$out" "would run: rm -rf $tmp/data" "plan shows the argv"
like "$out" "nothing was changed \\(dry run\\)" "plan says it changed nothing"
after=$(find "$cfg" "$tmp/data" -printf '%p %s %T@\n' | sort | md5sum)
is "$after" "$before" "plan changed no file (config, reports, state, data)"
run U --now '2026-11-22 03:40' plan b
is "$rc" 1 "plan: exit 1 when the run would defer a step"
like "$out" "2. long \\(command, up to 30m\\) — would be deferred: needs up to 30m" "plan names the step it would defer, and why"
like "$out" "verdict: a run now would not do everything" "plan says the run would be incomplete"
run U --now '2026-11-23 12:00' plan c
is "$rc" 3 "plan: exit 3 when no window is open (a real run would not start)"
like "$out" "a run now would not start \\(no window of the job is open\\)" "and says so"
run U --now '2026-11-23 12:00' plan c --ignore-window
is "$rc" 0 "plan --ignore-window outside the windows: a clean plan"
cat >"$cfg/jobs/g.yaml" <<YAML
job: g
windows: [sunday]
tracked_config: { repo: $tmp/no-such-repo }
steps:
  - { name: s, kind: command, run: ["true"] }
YAML
run U --now '2026-11-22 02:00' plan g
is "$rc" 3 "plan: exit 3 when the tracked repo is missing (the run would stop before any step)"
rm -f "$cfg/jobs/g.yaml"

# ---- the host lock ----------------------------------------------------------
cat >"$cfg/jobs/d.yaml" <<YAML
job: d
windows: [sunday]
steps:
  - { name: hold, kind: command, run: [sh, -c, "echo \$\$\$\$ > $tmp/d.pid; sleep 30"], timeout: 1m }
YAML
"$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run d >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do [ -s "$tmp/d.pid" ] && break; sleep 0.05; done
run U --now '2026-11-22 02:00' run a
is "$rc" 3 "a second run while the lock is held: exit 3"
like "$err" "another run holds the lock \\(pid $holder, job d, run " "names the holder"

# ---- crash recovery --------------------------------------------------------
step_pid=$(cat "$tmp/d.pid")
kill -9 "$holder"; wait "$holder" 2>/dev/null
ok "the step outlived the killed upkeep (for now)" test -e "/proc/$step_pid"
run U history --job d
like "$out" "interrupted" "the next upkeep closes the run as interrupted"
is "$(field d 'r["status"], r["interrupted_step"]')" "('interrupted', 'hold')" "record names the step in flight"
sleep 0.2
ok "the interrupted step's process was killed" sh -c "! grep -qs '^State:.*[RS]' /proc/$step_pid/status"
ok "no journal left" sh -c "! ls $cfg/state/journal/*.json 2>/dev/null | grep -q ."

# ---- a retry delay the window cannot hold ----------------------------------
cat >"$cfg/jobs/r.yaml" <<YAML
job: r
windows: [sunday]
steps:
  - { name: flaky, kind: command, run: ["false"], timeout: 1m, retries: 2, retry_delay: 110m }
YAML
start=$(date +%s)
run timeout 60 "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run r
is "$rc" 1 "a step whose retry the window cannot hold fails (exit 1), no wait"
cmp_ok "$(( $(date +%s) - start ))" -lt 20 "the 110m retry delay was not slept (it would end past the window)"
like "$err" "not retried: after the retry delay: the window.s cutoff has passed" "says why it was not retried"
rm -f "$cfg/jobs/r.yaml"

# ---- a lock upkeep may not take: the host's problem, exit 2 ------------------
pub=$(mktemp -d /tmp/upkeep-perm.XXXXXX)
mkdir -p "$pub/cfg/schedules" "$pub/cfg/jobs" "$pub/state"
cp "$cfg/schedules/sunday.yaml" "$pub/cfg/schedules/"
printf 'job: p\nwindows: [sunday]\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' >"$pub/cfg/jobs/p.yaml"
printf 'state_dir: %s/state\nreports_dir: %s/reports\n' "$pub" "$pub" >"$pub/cfg/upkeep.yaml"
chmod -R a+rX "$pub"
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$UPKEEP" --config "$pub/cfg" --now '2026-11-22 02:00' run p
is "$rc" 2 "an unwritable state directory: exit 2 (not 1, 'failed')"
like "$err" "cannot open the lock '$pub/state/upkeep.lock': Permission denied; run upkeep as a user who may write it" "says permission denied, where, and what to do"
rm -rf "$pub"

# ---- secrets stay out of records and reports ------------------------------
cat >"$cfg/jobs/e.yaml" <<YAML
job: e
windows: [sunday]
steps:
  - { name: leak, kind: command, run: [sh, -c, "echo token=\$TOKEN"], env: { TOKEN: "\${UPKEEP_TEST_SECRET}" } }
YAML
UPKEEP_TEST_SECRET=s3cr3t-v4lue run U --now '2026-11-22 02:00' run e -v
is "$rc" 0 "the secret job ran"
like "$(field e 'r["steps"][0]["output_tail"]')" "token=<redacted>" "output redacted in the record"
ok "the secret is in no file" sh -c "! grep -rq s3cr3t-v4lue $cfg"
unlike "$err" "s3cr3t-v4lue" "nor in the log"

# ---- run --due: once per window occurrence ---------------------------------
due=$tmp/due
mkdir -p "$due/schedules" "$due/jobs"
cp "$cfg/schedules/sunday.yaml" "$due/schedules/"
printf 'window: nightly\nstart: "Mon..Sat 02:00"\nduration: 1h\n' >"$due/schedules/nightly.yaml"
printf 'job: x\nwindows: [sunday]\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' >"$due/jobs/x.yaml"
printf 'job: y\nwindows: [nightly]\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' >"$due/jobs/y.yaml"
D() { "$UPKEEP" --config "$due" "$@"; }
count() { D history --json | "$PY" -c "import json,sys; print(len(json.load(sys.stdin)))"; }
run D --now '2026-11-22 01:00' run --due
is "$rc" 0 "nothing due: exit 0"
is "$(count)" 0 "nothing due: no run"
run D --now '2026-11-22 02:05' run --due
is "$rc" 0 "the due job ran"
is "$(D history --json | "$PY" -c 'import json,sys; print([r["job"] for r in json.load(sys.stdin)])')" "['x']" "only the job whose window is open"
run D --now '2026-11-22 03:30' run --due -v
is "$(count)" 1 "a second --due in the same opening runs nothing"
like "$err" "job 'x' already ran in this window" "and says why"
run D --now '2026-11-23 02:10' run --due
is "$(D history --json | "$PY" -c 'import json,sys; print([r["job"] for r in json.load(sys.stdin)])')" "['x', 'y']" "Monday: the nightly job"
run D --now '2026-11-29 02:01' run --due
is "$(D history --job x --json | "$PY" -c 'import json,sys; print([r["status"] for r in json.load(sys.stdin)])')" "['succeeded', 'succeeded']" "the next Sunday runs x again"
is "$(D history --job y --json | "$PY" -c 'import json,sys; print([r["status"] for r in json.load(sys.stdin)].count("missed"))')" "5" "y's nightly windows Tuesday to Saturday were missed"
run D run --due x
is "$rc" 2 "--due with a job name is a usage error"

# ---- missed windows: one record per closed occurrence, once ----------------
statuses() { D history --job x --json | "$PY" -c 'import json,sys; print([(r["started"][:10], r["status"]) for r in json.load(sys.stdin)])'; }
run D --now '2026-12-13 05:00' run --due
is "$rc" 0 "nothing due after the window closed"
is "$(statuses)" "[('2026-11-22', 'succeeded'), ('2026-11-29', 'succeeded'), ('2026-12-06', 'missed'), ('2026-12-13', 'missed')]" "each Sunday with no run is one missed record"
run D --now '2026-12-13 05:10' run --due
run D --now '2026-12-13 05:20' run --due
is "$(statuses | tr -cd ',' | wc -c)" "7" "asking again records nothing twice"
printf 'window: sunday\nstart: "Sun *-*-* 02:00"\nduration: 2h\ncutoff: 15m\nblackout: [2026-12-27]\n' >"$due/schedules/sunday.yaml"
run D --now '2027-01-04 00:00' run --due
is "$(statuses | grep -o "('2026-12-2[07]', '[a-z]*')" | tr '\n' ' ')" "('2026-12-20', 'missed') " "a blackout date is not a missed window"
like "$(D report --json "$(D history --job x --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["run_id"])')" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["reason"])')" "closed with no run of this job" "the missed record says why"

# ---- hostile output and JSON logs -------------------------------------------
rm -f "$cfg/jobs/e.yaml"	# it needs UPKEEP_TEST_SECRET set
cat >"$cfg/jobs/f.yaml" <<'YAML'
job: f
windows: [sunday]
steps:
  - { name: gigabyte, kind: command, shell: "head -c 1073741824 /dev/zero; printf 'end\\001\\377'", timeout: 5m }
  - { name: closes, kind: command, shell: "exec >&- 2>&-; sleep 0.2" }
YAML
run U --now '2026-11-22 02:00' run f -q
[ "$rc" = 0 ] || diag "$err"
is "$rc" 0 "a step printing 1 GiB of binary output and one closing its stdout both end ok"
is "$(field f '(r["steps"][0]["details"]["output_bytes"], len(r["steps"][0]["output_tail"]), r["steps"][0]["output_tail"][-5:] == "end\ufffd\ufffd")')" "(1073741829, 65536, True)" "all bytes counted, the 64 KiB tail kept as text (NUL and bad bytes as U+FFFD)"
run U --now '2026-11-22 02:00' run b --log-format json -v
ok "every log line is a JSON object with ts, level, msg" "$PY" -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert {"ts", "level", "msg"} <= o.keys(), o
    n += 1
assert n >= 5, n
' "$tmp/err"
like "$(grep -c '"step": *"quick"' "$tmp/err")" "^[1-9]" "log lines name their step"

# ---- bad input --------------------------------------------------------------
run U run nosuch
is "$rc" 2 "unknown job: exit 2"
run U run a --log-format xml
is "$rc" 2 "bad --log-format: exit 2"
run U report nosuch-run
is "$rc" 2 "unknown run: exit 2"

# ---- the progress line: on a terminal only --------------------------------
cat >"$cfg/jobs/slow.yaml" <<'YAML'
job: slow
windows: [sunday]
steps:
  - { name: wait a bit, kind: command, run: [sh, -c, "sleep 2.5"], timeout: 1m }
YAML
# script(1) gives upkeep a pseudo-terminal, as an operator's shell would.
tty_out=$(script -qec "$UPKEEP --config $cfg --now '2026-11-22 02:00' run slow" /dev/null | tr '\r' '\n')
like "$tty_out" "▸ wait a bit  2.0 s of 1m" "on a terminal: a progress line with elapsed vs timeout"
like "$tty_out" $'\e\\[K[0-9-]+ [0-9:]+ slow/wait a bit: ok' "the progress line is cleared before the next log line"
run U --now '2026-11-22 02:00' run slow
unlike "$err" "▸" "not on a terminal: no progress line"
tty_out=$(script -qec "$UPKEEP --config $cfg --now '2026-11-22 02:00' run slow -q" /dev/null)
unlike "$tty_out" "▸" "quiet (-q) on a terminal: no progress line"

# ---- history reads summaries indexed in reports/runs/.index/YYYYMM.jsonl ---
idx=$cfg/reports/runs/.index/202611.jsonl
table() { U history | tail -n +2 | awk '{ print $3, $5 }' | sort; }
expected=$(U history --json | "$PY" -c 'import json,sys; [print(r["status"], r["run_id"]) for r in json.load(sys.stdin)]' | sort)
is "$(table)" "$expected" "history's table agrees with the whole records"
ok "the summaries are indexed" test -s "$idx"
printf 'garbage' >"$idx"
is "$(table)" "$expected" "a broken index is rebuilt"
one=$(ls "$cfg"/reports/runs/2026/*.json | head -1)
"$PY" - "$one" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["status"] = "edited-by-test"
json.dump(r, open(sys.argv[1], "w"))
PY
like "$(U history)" "edited-by-test" "a record that changed is read again"
rm "$one"
unlike "$(U history)" "edited-by-test" "a record that is gone is gone from history"

# report RUN-ID reads that one record through the index.
last=$(U history --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["run_id"])')
run U report "$last" --json
like "$out" "\"run_id\": \"$last\"" "report RUN-ID: that run's record"
run U report latest --json
like "$out" "\"run_id\": \"$last\"" "report latest: the newest run's record"
run U report 20000101T000000Z-nosuch-0000
isnt "$rc" 0 "report of an unknown run id: an error"

done_testing
