#!/usr/bin/env bash
# The environment a run's children get (issue 15, item 13): the one upkeep
# was started with. upkeep switches TZ to a window's zone for its calendar
# maths; that must not reach a step (it printed TZ=Asia/Tokyo in a job
# bound to a Tokyo window). Checked with TZ unset and set at upkeep's start,
# for a step, a pre-check and a validation check (all spawned by proc.c),
# and that a step's own `env: {TZ: ...}` still wins. And the rest of what
# a child starts with, the same whichever way proc.c started it (straight
# into the run's cgroup with clone3, or posix_spawn without a cgroup):
# every signal at its default even when upkeep was started with some
# ignored, none blocked, a process group of its own, stdin from
# /dev/null, its cwd, a program found in PATH (and the error when it is
# not there), the run's cgroup.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
cat >"$cfg/schedules/tokyo.yaml" <<'YAML'
window: tokyo
start: "Sun *-*-* 02:00"
timezone: Asia/Tokyo
duration: 2h
YAML
show='env | grep ^TZ= || echo no-TZ'
cat >"$cfg/jobs/tz.yaml" <<YAML
job: tz
windows: [tokyo]
prechecks:
  - { name: pre, kind: command, run: [sh, -c, "{ $show; } >$tmp/pre.out"] }
steps:
  - { name: plain, kind: command, run: [sh, -c, "$show"], timeout: 1m }
  - { name: own, kind: command, run: [sh, -c, "$show"], env: { TZ: America/Lima }, timeout: 1m }
validate:
  - { name: val, kind: command, run: [sh, -c, "{ $show; } >$tmp/val.out"] }
YAML
# 02:30 on Sunday in Tokyo, inside the window.
when='2026-11-21 17:30 UTC'
newest() { ls -t "$cfg"/reports/runs/2026/*Z-tz-*.json | head -1; }
outputs() { "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(" | ".join(s["output_tail"].strip() for s in r["steps"]))' "$(newest)"; }

run env -u TZ "$UPKEEP" --config "$cfg" --now "$when" run tz
is "$rc" 0 "TZ unset: the run succeeds in the Tokyo window"
is "$(outputs)" "no-TZ | TZ=America/Lima" "TZ unset: the step gets no TZ; a step's own TZ wins"
is "$(cat "$tmp/pre.out")" "no-TZ" "TZ unset: the pre-check gets no TZ"
is "$(cat "$tmp/val.out")" "no-TZ" "TZ unset: the validation check gets no TZ"

rm -f "$tmp/pre.out" "$tmp/val.out"
run env TZ=Europe/Paris "$UPKEEP" --config "$cfg" --now "$when" run tz
is "$rc" 0 "TZ=Europe/Paris: the run succeeds"
is "$(outputs)" "TZ=Europe/Paris | TZ=America/Lima" "TZ=Europe/Paris: the step gets Europe/Paris; a step's own TZ wins"
is "$(cat "$tmp/pre.out")" "TZ=Europe/Paris" "TZ=Europe/Paris: the pre-check gets it"
is "$(cat "$tmp/val.out")" "TZ=Europe/Paris" "TZ=Europe/Paris: the validation check gets it"

# ---- the rest of what a child starts with ------------------------------------
mkdir -p "$tmp/wd" "$tmp/bin"
printf '#!/bin/sh\necho found-in-path\n' >"$tmp/bin/upkeep-t-prog"
chmod +x "$tmp/bin/upkeep-t-prog"
# sh reports for itself: /proc/$$ is the child upkeep started
cat >"$tmp/facts.sh" <<'SH'
read -r p c s pp pg r </proc/$$/stat
[ "$p" = "$pg" ] && echo own-group
# SIGQUIT and SIGUSR1 (the bits of 0x204); glibc's posix_spawn leaves
# its own two (32 and 33) ignored, which says nothing of upkeep's
ign=$(sed -n 's/^SigIgn:\t//p' /proc/$$/status)
echo "quit-usr1 ignored $(( 0x$ign & 0x204 ))"
grep '^SigBlk' /proc/$$/status | tr '\t' ' '
echo "stdin $(readlink /proc/$$/fd/0)"
echo "cwd $(pwd)"
echo "cgroup $(sed -n 's/^0:://p' /proc/$$/cgroup)"
SH
cat >"$cfg/jobs/child.yaml" <<YAML
job: child
windows: [tokyo]
steps:
  - { name: facts, kind: command, run: [sh, "$tmp/facts.sh"], cwd: "$tmp/wd", timeout: 1m }
  - { name: path, kind: command, run: [upkeep-t-prog], timeout: 1m }
  - { name: missing, kind: command, run: [upkeep-t-no-such-prog], timeout: 1m, on_failure: continue }
YAML
step_out() { "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); s=r["steps"][int(sys.argv[2])]; print(s.get("output_tail", "").strip() or s["summary"])' "$(ls -t "$cfg"/reports/runs/2026/*Z-child-*.json | head -1)" "$1"; }
containment() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["containment"])' "$(ls -t "$cfg"/reports/runs/2026/*Z-child-*.json | head -1)"; }
for how in cgroup no-cgroup; do
	nocg=; [ "$how" = no-cgroup ] && nocg=1
	# started with SIGQUIT and SIGUSR1 ignored by the shell that starts
	# it (an ignored disposition survives exec)
	run bash -c 'trap "" QUIT USR1; exec env PATH="$1:$PATH" UPKEEP_NO_CGROUP="$2" "${@:3}"' _ \
		"$tmp/bin" "$nocg" "$UPKEEP" --config "$cfg" --now "$when" run child
	is "$rc" 1 "$how: the run ends failed (the missing program)" || diag "$err"
	out=$(step_out 0)
	like "$out" "own-group" "$how: the step leads a process group of its own"
	like "$out" "quit-usr1 ignored 0" "$how: SIGQUIT and SIGUSR1 at their default, though upkeep was started ignoring them"
	like "$out" "SigBlk: 0000000000000000" "$how: no signal blocked"
	like "$out" "stdin /dev/null" "$how: stdin is /dev/null"
	like "$out" "cwd $tmp/wd" "$how: it starts in its cwd"
	is "$(step_out 1)" "found-in-path" "$how: a program is found in PATH"
	like "$(step_out 2)" "cannot run 'upkeep-t-no-such-prog': No such file or directory" \
		"$how: a program that is not there is named, with exec's error"
	if [ "$how" = cgroup ]; then
		c=$(containment)
		if [[ $c == cgroup\ * ]]; then
			like "$out" "cgroup .*/upkeep/${c##*/}\$" \
				"cgroup: the step was born in the run's cgroup ($c)"
		else
			note "no cgroup here ($c): the cgroup half is the posix_spawn half again"
		fi
	else
		like "$out" "cgroup $(sed -n 's/^0:://p' /proc/self/cgroup)\$" "no-cgroup: the step is in upkeep's own cgroup"
	fi
done

done_testing
