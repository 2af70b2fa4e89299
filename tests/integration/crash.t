#!/usr/bin/env bash
# kill -9 of upkeep at several points of a run: during a pre-check, during
# a step (whose grandchild left the process group with setsid), during a
# retry delay, during validation. Each time the next upkeep closes the run
# as `interrupted`, its record parses, nothing the run started is left
# (checked in /proc by command line, not by upkeep's word), no journal
# stays and the lock is free.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 00:00"\nduration: 23h\n' >"$cfg/schedules/w.yaml"
printf 'kill_grace: 1s\n' >"$cfg/upkeep.yaml"
U() { "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' "$@"; }
newest() { ls -t "$cfg"/reports/runs/2026/*Z-"$1"-*.json | head -1; }
# a process tree that escapes: a setsid'd sleep plus a plain one, with a
# marker duration so /proc can tell ours apart.
tree() { echo "sh, -c, \"setsid sleep $1 </dev/null >/dev/null 2>&1 & sleep $1\""; }
alive() { pgrep -f "^sleep $1\$" | tr '\n' ' '; }

# crash NAME MARKER WAIT-FOR-CMD: runs job NAME, waits until WAIT-FOR-CMD
# succeeds, kills upkeep with SIGKILL, then checks the aftermath.
crash() {
	local name=$1 marker=$2 pid
	shift 2
	"$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run "$name" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 200); do "$@" && break; sleep 0.05; done
	ok "$name: reached the point to crash at" "$@"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	run U history --job "$name"
	like "$err" "closed run .* as interrupted" "$name: the next upkeep closes the run"
	is "$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["job"], r["status"])' "$(newest "$name")")" \
		"$name interrupted" "$name: the record parses and says interrupted"
	sleep 0.3
	is "$(alive "$marker")" "" "$name: no process of the run is left (setsid'd ones included)"
	ok "$name: no journal stays" sh -c "! ls $cfg/state/journal/ 2>/dev/null | grep -q ."
	run U run quick
	is "$rc" 0 "$name: the lock is free (another run goes through)"
}

printf 'job: quick\nwindows: [w]\nsteps:\n  - { name: s, kind: command, run: ["true"], timeout: 1m }\n' \
	>"$cfg/jobs/quick.yaml"

cat >"$cfg/jobs/pre.yaml" <<YAML
job: pre
windows: [w]
prechecks:
  - { name: slow check, kind: command, run: [$(tree 3001)], timeout: 10m }
steps:
  - { name: s, kind: command, run: [touch, "$tmp/pre-ran"], timeout: 1m }
YAML
crash pre 3001 sh -c "[ -n \"\$(pgrep -f '^sleep 3001\$')\" ]"
ok "pre: the step never ran" test ! -e "$tmp/pre-ran"

cat >"$cfg/jobs/step.yaml" <<YAML
job: step
windows: [w]
steps:
  - { name: first, kind: command, run: ["true"], timeout: 1m }
  - { name: hold, kind: command, run: [$(tree 3002)], timeout: 10m }
YAML
crash step 3002 sh -c "[ \$(pgrep -fc '^sleep 3002\$') -ge 2 ]"
is "$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["interrupted_step"], [s["status"] for s in r["steps"]])' "$(newest step)")" \
	"hold ['ok', 'interrupted']" "step: the record names the step in flight"

cat >"$cfg/jobs/retry.yaml" <<YAML
job: retry
windows: [w]
steps:
  - { name: flaky, kind: command, run: [sh, -c, "setsid sleep 3003 </dev/null >/dev/null 2>&1 & exit 1"], timeout: 1m, retries: 3, retry_delay: 10m }
YAML
crash retry 3003 sh -c "grep -qs '\"attempts\":1' $cfg/state/journal/*.journal"
is "$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["steps"][0]; print(s["status"], s["attempts"])' "$(newest retry)")" \
	"failed 1" "retry: the record keeps the failed attempt"

cat >"$cfg/jobs/val.yaml" <<YAML
job: val
windows: [w]
steps:
  - { name: s, kind: command, run: ["true"], timeout: 1m }
validate:
  - { name: slow validation, kind: command, run: [$(tree 3004)], timeout: 10m }
YAML
crash val 3004 sh -c "[ -n \"\$(pgrep -f '^sleep 3004\$')\" ]"
is "$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print([s["status"] for s in r["steps"]])' "$(newest val)")" \
	"['ok']" "val: the finished step stays ok"

# A run's children carry UPKEEP_RUN_ID (how the next upkeep finds them).
cat >"$cfg/jobs/env.yaml" <<YAML
job: env
windows: [w]
steps:
  - { name: s, kind: command, run: [sh, -c, 'echo "id=\$UPKEEP_RUN_ID"'], timeout: 1m }
YAML
run U run env
like "$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["run_id"], r["steps"][0]["output_tail"])' "$(newest env)")" \
	'^([^ ]+) id=\1$' "a step sees its run id in UPKEEP_RUN_ID"

done_testing
