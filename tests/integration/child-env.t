#!/usr/bin/env bash
# The environment a run's children get (issue 15, item 13): the one upkeep
# was started with. upkeep switches TZ to a window's zone for its calendar
# maths; that must not reach a step (it printed TZ=Asia/Tokyo in a job
# bound to a Tokyo window). Checked with TZ unset and set at upkeep's start,
# for a step, a pre-check and a validation check (all spawned by proc.c),
# and that a step's own `env: {TZ: ...}` still wins.
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

done_testing
