#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/history.t - the history index and the week's collected
# model, kept up to date from each new record alone (issue 21, item 1):
# - after every run of a week (succeeded, missed via --due, a config-error
#   record, a run killed and closed as interrupted, and after a record is
#   deleted) the weekly Markdown built incrementally is byte-identical
#   (but for its "generated" time) to one rebuilt from scratch, and so is
#   the collected model (python3 compares them); so is the first run of
#   the next week, whose trend comes from the earlier weeks' models;
# - a run in a week whose model is kept opens no other record (strace);
# - `history` after its index is deleted still lists every run, and lists
#   a record written without the index (by an older upkeep);
# - with a year trusted as unchanged (.index/years), history still sees a
#   line that is not one, a month file cut short or deleted, a record
#   deleted, put back or replaced;
# - a daemon asleep until a window sees a run that a manual `upkeep run`
#   recorded for that occurrence meanwhile, and does not run the job again;
# - a run's line waits while another process holds .index/lock (a
#   reader's rebuild), and is listed once after.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

_server_require strace "strace" strace

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: nightly\nstart: "*-*-* 02:00"\nduration: 1h\ncutoff: 5m\n' >"$cfg/schedules/nightly.yaml"
cat >"$cfg/jobs/web.yaml" <<YAML
job: web
windows: [nightly]
steps:
  - { name: prep, kind: command, run: ["true"], timeout: 10s }
  - { name: work, kind: command, run: [sh, -c, "test ! -e $tmp/fail"], timeout: 10s }
  - { name: hang, kind: command, run: [sh, -c, "test ! -e $tmp/hang || exec sleep 60"], timeout: 2m }
YAML
good_other() { printf 'job: other\nwindows: [nightly]\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' >"$cfg/jobs/other.yaml"; }
good_other
U() { "$UPKEEP" --config "$cfg" "$@"; }
md=$cfg/reports/weekly/2026-W48.md
state=$cfg/reports/weekly/2026-W48.model.json

# ---- a week of runs ------------------------------------------------------------
run U --now '2026-11-23 02:00' run web
is "$rc" 0 "Mon: web succeeded"
same_as_rebuilt "Mon" '2026-11-23 02:00' 2026-W48
run U --now '2026-11-23 02:01' run other
same_as_rebuilt "Mon, a second job" '2026-11-23 02:01' 2026-W48
run U --now '2026-11-25 02:10' run --due
is "$rc" 0 "Wed: --due recorded Tuesday as missed and ran the jobs"
like "$(U history)" "missed" "a missed record is on file"
same_as_rebuilt "Wed (missed)" '2026-11-25 02:10' 2026-W48
printf 'job: other\nwindows: [nightly]\nsteps: [ { name: s\n' >"$cfg/jobs/other.yaml"
run U --now '2026-11-26 02:05' run --due
like "$(U history)" "config-error" "Thu: a config-error record"
same_as_rebuilt "Thu (config-error)" '2026-11-26 02:05' 2026-W48
good_other
touch "$tmp/hang"
UPKEEP_NOW='2026-11-27 02:00' "$UPKEEP" --config "$cfg" run web >/dev/null 2>&1 &
victim=$!
for _ in $(seq 200); do
	grep -qs '"hang"' "$cfg"/state/journal/* && break
	sleep 0.05
done
kill -9 "$victim"; wait "$victim" 2>/dev/null
rm -f "$tmp/hang"
run U --now '2026-11-27 02:30' history
like "$err" "closed run .* as interrupted" "Fri: the killed run was closed as interrupted"
same_as_rebuilt "Fri (interrupted)" '2026-11-27 02:30' 2026-W48
touch "$tmp/fail"
run U --now '2026-11-28 02:00' run web
is "$rc" 1 "Sat: web failed"
rm -f "$tmp/fail"
same_as_rebuilt "Sat (failed)" '2026-11-28 02:00' 2026-W48
# A record deleted by hand: the next run finds the model does not match.
gone=$(ls "$cfg"/reports/runs/2026/20261123T0200*web*.json)
rm -f "$gone" "${gone%.json}.md"
run U --now '2026-11-29 02:00' run web
is "$rc" 0 "Sun: web succeeded"
unlike "$(cat "$md")" "$(basename "$gone" .json)" "the deleted run is gone from the week"
same_as_rebuilt "Sun (after a record was deleted)" '2026-11-29 02:00' 2026-W48

# ---- the incremental path reads no other record ---------------------------------
others=$(other_records_opened "$cfg" '2026-11-29 02:20' web)
is "$?" 0 "a traced run succeeded"
is "$others" "" "the run opened no record but its own"
new=$(ls -t "$cfg"/reports/runs/2026/*.json | head -1)
same_as_rebuilt "Sun, traced" '2026-11-29 02:20' 2026-W48

# ---- history from the index, and without it --------------------------------------
before=$(U history)
is "$(printf '%s\n' "$before" | tail -n +2 | wc -l)" "$(ls "$cfg"/reports/runs/2026/*.json | wc -l)" \
	"history lists every record"
ok "the index is kept" test -s "$cfg/reports/runs/.index/202611.jsonl"
rm -rf "$cfg/reports/runs/.index"
is "$(U history)" "$before" "with its index deleted, history lists the same runs"
ok "and the index is back" test -s "$cfg/reports/runs/.index/202611.jsonl"
# A record written by an upkeep that kept no index.
"$PY" - "$new" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["run_id"] = "20261129T023000Z-web-0ld0"; r["started"] = "2026-11-29T02:30:00Z"
json.dump(r, open(sys.argv[1].rsplit("/", 1)[0] + "/20261129T023000Z-web-0ld0.json", "w"))
PY
like "$(U history)" "20261129T023000Z-web-0ld0" "history lists a record written without the index"
run U --now '2026-11-29 02:40' run other
like "$(cat "$md")" "20261129T023000Z-web-0ld0" "and so does the week's report after the next run"
same_as_rebuilt "after a record written without the model" '2026-11-29 02:40' 2026-W48

# ---- the index against the records, year by year ---------------------------------
# A year directory that did not change since the index last matched it is
# not read (.index/years); these must still be seen. Its time is put an
# hour back so that a check trusts it (a time of this second is not).
runs=$cfg/reports/runs
idx=$runs/.index/202611.jsonl
settle() { touch -d '-1 hour' "$runs/2026"; U history >/dev/null 2>&1; }
listed() { U history | tail -n +2 | awk '{print $NF}' | sort; }
want=$(ls "$runs"/2026/*.json | xargs -n1 basename | sed 's/\.json$//' | sort)
settle
like "$(cat "$runs/.index/years" 2>/dev/null)" "^2026 " "a checked year is remembered"
is "$(listed)" "$want" "history lists every record (the year trusted)"
printf '["h1","broken"]\n' >>"$idx"
is "$(listed)" "$want" "a line that is not one: history lists the records, not it"
unlike "$(cat "$idx")" "broken" "and its month is rebuilt"
settle
head -c -7 "$idx" >"$tmp/cut" && cat "$tmp/cut" >"$idx"
is "$(listed)" "$want" "a month file cut short: history lists every record"
settle
rm -f "$idx"
is "$(listed)" "$want" "a month file deleted: history lists every record"
settle
victim=$(ls "$runs"/2026/*other*.json | head -1)
mv "$victim" "$tmp/victim.json"
is "$(listed)" "$(printf '%s\n' "$want" | grep -v "$(basename "$victim" .json)")" "a record deleted: it is gone from history"
mv "$tmp/victim.json" "$victim"
is "$(listed)" "$want" "and back when its file is"
settle
cp -p "$victim" "$tmp/victim.json"
"$PY" - "$victim" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1])); r["status"] = "failed"
json.dump(r, open(sys.argv[1] + ".new", "w")); os.replace(sys.argv[1] + ".new", sys.argv[1])
PY
like "$(U history | grep "$(basename "$victim" .json)")" "failed" "a record replaced (renamed over): history shows it as it is now"
settle
is "$(U history | tail -n +2 | grep -c .)" "$(ls "$runs"/2026/*.json | wc -l)" "and no run twice"
# (As it was: the week's model goes by the records' names, not their
# contents, and the tests below compare it with a rebuilt one.)
cp -p "$tmp/victim.json" "$victim.new" && mv "$victim.new" "$victim"
U history >/dev/null 2>&1

# ---- the daemon sees a run recorded while it sleeps -------------------------------
# It sleeps until Monday 02:00; a manual run inside that window (its own
# clock says so) is recorded meanwhile, and the daemon, once awake, finds
# the occurrence done.
rm -f "$cfg/jobs/other.yaml"
log=$tmp/daemon.log
"$UPKEEP" --config "$cfg" --now '2026-11-30 01:59:54' daemon >"$log" 2>&1 &
daemon=$!
stop_daemon() { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }
tap_at_exit stop_daemon
for _ in $(seq 50); do grep -q sleeping "$log" && break; sleep 0.1; done
like "$(cat "$log")" "sleeping until window 'nightly' opens" "the daemon sleeps until the opening"
run U --now '2026-11-30 02:00:30' run web
is "$rc" 0 "a manual run in Monday's window"
# The first run of a week: its trend from the earlier weeks' models.
same_as_rebuilt "a new week" '2026-11-30 02:00:30' 2026-W49
sleep 8
stop_daemon
count=$(U history --job web | grep -c '2026-11-30T')
is "$count" 1 "the daemon did not run web again in that window"
unlike "$(cat "$log")" "web: started|starting web|run .*web" "its log shows no run of web"

# ---- the trend's earlier weeks in the week's model ------------------------------
# The model keeps of each earlier week only how many records and a sum of
# their names: a record of one deleted, added or renamed (its run id too)
# is still seen by the next run, and the trend counts what is on disk.
w48_runs() { ls "$cfg"/reports/runs/2026/2026112[3-9]T*.json | wc -l; }
w48_trend() { grep '^| 2026-W48 |' "$cfg/reports/weekly/2026-W49.md" | cut -d'|' -f3 | tr -d ' '; }
rm -f "$(ls "$cfg"/reports/runs/2026/20261125T*.json | head -1)"
run U --now '2026-11-30 02:10' run web
is "$(w48_trend)" "$(w48_runs)" "a record of an earlier week deleted: its trend counts the rest"
same_as_rebuilt "a record of an earlier week deleted" '2026-11-30 02:10' 2026-W49
rename() {	# FROM-FILE TO-RUN-ID [keep]: the record as TO-RUN-ID
	"$PY" - "$@" <<'PY'
import json, os, sys
src, rid = sys.argv[1], sys.argv[2]
r = json.load(open(src)); r["run_id"] = rid
json.dump(r, open(os.path.join(os.path.dirname(src), rid + ".json"), "w"))
if len(sys.argv) < 4: os.remove(src)
PY
}
rename "$(ls "$cfg"/reports/runs/2026/20261126T*.json | head -1)" 20261126T020000Z-web-added keep
run U --now '2026-11-30 02:11' run web
is "$(w48_trend)" "$(w48_runs)" "a record of an earlier week added: its trend counts it"
same_as_rebuilt "a record of an earlier week added" '2026-11-30 02:11' 2026-W49
rename "$cfg"/reports/runs/2026/20261126T020000Z-web-added.json 20261126T020000Z-web-renamed
run U --now '2026-11-30 02:12' run web
same_as_rebuilt "a record of an earlier week renamed" '2026-11-30 02:12' 2026-W49

# ---- writers of the index take turns (.index/lock) ------------------------------
# A reader's check (list the records, rename rebuilt months in) and a run's
# append each hold .index/lock: with it held, a finished run's record is on
# disk but its line waits, and once released it is listed exactly once.
lockf=$cfg/reports/runs/.index/lock
flock -x "$lockf" -c "touch '$tmp/locked'; while [ ! -e '$tmp/unlock' ]; do sleep 0.05; done" &
holder=$!
for _ in $(seq 100); do [ -e "$tmp/locked" ] && break; sleep 0.05; done
U --now '2026-11-30 02:20' run web >/dev/null 2>&1 &
runner=$!
for _ in $(seq 100); do ls "$cfg"/reports/runs/2026/20261130T022000Z-*.json >/dev/null 2>&1 && break; sleep 0.05; done
is "$(ls "$cfg"/reports/runs/2026/20261130T022000Z-*.json 2>/dev/null | wc -l)" 1 "the run saved its record while the index was locked"
sleep 0.3
unlike "$(cat "$cfg"/reports/runs/.index/202611.jsonl)" "20261130T022000Z" "its line waits for the lock"
touch "$tmp/unlock"
wait "$holder"
wait "$runner"
is "$?" 0 "the run ends once the lock is free"
is "$(U history --job web | grep -c '20261130T022000Z')" 1 "its run is listed once"

done_testing
