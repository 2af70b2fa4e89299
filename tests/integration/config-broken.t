#!/usr/bin/env bash
# One broken job file does not cancel every other job: under `run --due`
# and the daemon, a job or window file with problems leaves out only the
# jobs it defines or that use it; the others run. Each job left out gets a
# `config-error` record for the window occurrence it would have run in
# (once), naming file:line:col and the problem, a webhook and a metric.
# `upkeep check` still fails; a broken upkeep.yaml still stops everything.
set -uo pipefail
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
http_start

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 02:00"\nduration: 1h\n' >"$cfg/schedules/w.yaml"
printf 'window: broken\nstart: "*-*-* 02:00"\nduration: 1 hour\n' >"$cfg/schedules/broken.yaml"
cat >"$cfg/upkeep.yaml" <<YAML
notify:
  - { name: ops, url: "$HTTP_FIXTURE/hooks/json/x", format: json, on: [failure, success] }
metrics: { textfile: $tmp/upkeep.prom }
YAML
good() { printf 'job: %s\nwindows: [w]\nsteps:\n  - { name: s, kind: command, run: [touch, "%s/%s.ran"] }\n' "$1" "$tmp" "$1" >"$cfg/jobs/$1.yaml"; }
good good1
good good2
# an unset ${VAR} in one unrelated job
printf 'job: env\nwindows: [w]\nsteps:\n  - { name: s, kind: command, run: [echo, "${UPKEEP_TEST_UNSET_VAR}"] }\n' >"$cfg/jobs/env.yaml"
# YAML that does not parse: the job is known by its file's name only
printf 'job: syntax\nwindows: [w]\nsteps: [ { name: s\n' >"$cfg/jobs/syntax.yaml"
# a job whose own file is fine, on a broken window
printf 'job: onbroken\nwindows: [broken]\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' >"$cfg/jobs/onbroken.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
hist() { U history --json | "$PY" -c 'import json,sys; print(sorted((r["job"], r["status"]) for r in json.load(sys.stdin)))'; }
rec() { U history --json | "$PY" -c 'import json,sys; r=[r for r in json.load(sys.stdin) if r["job"] == sys.argv[1]][-1]; print(r["run_id"])' "$1"; }

run U check
is "$rc" 2 "upkeep check still fails on any problem"

# ---- run --due ---------------------------------------------------------------
unset UPKEEP_TEST_UNSET_VAR
run U --now '2026-11-22 02:05' run --due
is "$rc" 2 "run --due: the good jobs ran, and a config error is exit 2"
ok "good1 ran" test -e "$tmp/good1.ran"
ok "good2 ran" test -e "$tmp/good2.ran"
like "$err" "jobs/env.yaml:4:[0-9]+: .*UPKEEP_TEST_UNSET_VAR" "the unset variable is named with file:line:col"
like "$err" "3 jobs are left out for the problems above; the others go on" "says how many jobs are left out"
is "$(hist)" "[('env', 'config-error'), ('good1', 'succeeded'), ('good2', 'succeeded'), ('onbroken', 'config-error'), ('syntax', 'config-error')]" \
	"one record per job: the good ones succeeded, each broken one is a config-error"
reason() { U report --json "$(rec "$1")" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["reason"], "|", r.get("window", {}).get("name"))'; }
like "$(reason env)" "jobs/env.yaml:4:[0-9]+: .*UPKEEP_TEST_UNSET_VAR.* \\| w$" "the env job's record names file:line:col, the problem and its window"
like "$(reason onbroken)" "schedules/broken.yaml:3:[0-9]+: .* \\| None$" "a job on a broken window: the window file's problem"
like "$(reason syntax)" "jobs/syntax.yaml:[0-9]+:[0-9]+: " "a file that does not parse: named by file:line:col"
like "$(http_requests)" "config-error" "a webhook says so"
like "$(cat "$tmp/upkeep.prom")" "job=\"env\"[^\n]*status=\"config-error\"[^\n]* 1" "a metric counts it"

# ---- once per occurrence ---------------------------------------------------------
http_reset
run U --now '2026-11-22 02:30' run --due
is "$(hist | grep -o "'config-error'" | wc -l)" 3 "asking again in the same opening records nothing twice"
is "$(http_requests | "$PY" -c 'import json,sys; print(sum("config-error" in r.get("body", "") for r in json.load(sys.stdin)))')" 0 \
	"and sends no second webhook"
run U --now '2026-11-23 02:05' run --due
is "$(hist | grep -o "('env', 'config-error')" | wc -l)" 2 "the next opening: one more config-error for the env job"

# ---- run JOB -----------------------------------------------------------------
run U --now '2026-11-24 02:05' run good1
is "$rc" 0 "run of a good job: runs despite the broken ones"
like "$err" "left out" "and warns about them"
run U --now '2026-11-24 02:05' run env
is "$rc" 2 "run of the broken job: exit 2"
like "$err" "job 'env' has problems \\(above\\); fix [^ ]*/jobs/env.yaml" "says what to fix"

# ---- the daemon: starts despite the broken jobs, runs the good ones --------------
rm -f "$tmp"/good*.ran
log=$tmp/daemon.log
"$UPKEEP" --config "$cfg" --now '2026-11-26 01:59:58' daemon >"$log" 2>&1 &
daemon=$!
tap_at_exit "kill $daemon 2>/dev/null"
for _ in $(seq 100); do [ -e "$tmp/good2.ran" ] && break; sleep 0.1; done
ok "daemon: the good jobs ran at the opening" test -e "$tmp/good1.ran" -a -e "$tmp/good2.ran"
for _ in $(seq 50); do [ "$(U history --json 2>/dev/null | "$PY" -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["status"] == "config-error" and r["started"].startswith("2026-11-26")))')" = 3 ] && break; sleep 0.1; done
is "$(U history --json 2>/dev/null | "$PY" -c 'import json,sys; print(sorted(r["job"] for r in json.load(sys.stdin) if r["status"] == "config-error" and r["started"].startswith("2026-11-26")))')" \
	"['env', 'onbroken', 'syntax']" "daemon: a config-error record for each job left out"
kill -TERM "$daemon"; wait "$daemon"
is "$?" 0 "daemon: stopped cleanly"
like "$(cat "$log")" "3 jobs are left out for the problems above; the others are scheduled" "daemon: says at start which jobs are left out"

# ---- a broken upkeep.yaml stops everything ---------------------------------------
cp "$cfg/upkeep.yaml" "$tmp/upkeep.yaml.good"
printf 'step_timeot: 5m\n' >>"$cfg/upkeep.yaml"
rm -f "$tmp"/good1.ran
run U --now '2026-11-25 02:05' run --due
is "$rc" 2 "a broken upkeep.yaml: exit 2"
like "$err" "upkeep.yaml:[0-9]+:[0-9]+: unknown key 'step_timeot'" "names the problem"
ok "nothing ran" test ! -e "$tmp/good1.ran"
cp "$tmp/upkeep.yaml.good" "$cfg/upkeep.yaml"

done_testing
