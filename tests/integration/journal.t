#!/usr/bin/env bash
# The journal of a run in progress (state_dir/journal/<run-id>.journal) is
# appended to, one checked entry per change. upkeep killed with SIGKILL
# during a step, then its journal cut short mid-entry (truncate: what a
# crash in the middle of an append leaves): the next upkeep ignores the
# torn last entry, rebuilds the run from the entries before it and closes
# it as interrupted, naming the step in flight; the step's process goes
# too. And a run's journal costs what changed, not the whole record at
# every step: a 300-step run writes well under 2 MB in all (before, the
# record was rewritten twice per step: about 37 MB).
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
summary() { # summary RECORD: status, interrupted_step and the steps' statuses
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["status"], r.get("interrupted_step"), [s["status"] for s in r["steps"]])' "$1"
}

# ---- a torn last entry after a real crash ------------------------------------
cat >"$cfg/jobs/torn.yaml" <<YAML
job: torn
windows: [w]
steps:
  - { name: one, kind: command, run: ["true"], timeout: 1m }
  - { name: two, kind: command, shell: "echo \$\$ >$tmp/two.pid; exec sleep 3101", timeout: 10m }
YAML
"$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run torn >/dev/null 2>&1 &
pid=$!
# the entry with the step's pid is the last one written before it runs
for _ in $(seq 200); do
	[ -s "$tmp/two.pid" ] && grep -qs '"pid":' "$cfg"/state/journal/*.journal && break
	sleep 0.05
done
ok "step two is running and the journal has its pid" grep -qs '"in_flight":{"step":"two","pid":' "$cfg"/state/journal/*.journal
kill -9 "$pid"; wait "$pid" 2>/dev/null
journal=$(ls "$cfg"/state/journal/*.journal)
cp "$journal" "$tmp/journal.whole"
size=$(stat -c %s "$journal")
# where the last entry starts: cut there, in its header, in its body, and
# just its final newline
last=$(grep -b '^#upkeep-journal ' "$journal" | tail -1 | cut -d: -f1)
for cut in "$last" "$((last + 5))" "$((last + 40))" "$((size - 1))"; do
	cp "$tmp/journal.whole" "$journal"
	truncate -s "$cut" "$journal"
	run U history --job torn
	like "$err" "closed run .* as interrupted \\(it stopped during step two\\)" \
		"cut at byte $cut of $size: the run is closed, naming the step in flight"
	unlike "$err" "empty or corrupt" "cut at byte $cut: not taken for a lost journal"
	is "$(summary "$(newest torn)")" "interrupted two ['ok', 'interrupted']" \
		"cut at byte $cut: the record is what the whole entries say"
	is "$(find "$cfg/state/journal" -type f | wc -l)" 0 "cut at byte $cut: the journal is gone"
	r=$(newest torn); rm -f "$r" "${r%.json}.md"
done
sleep 0.3
is "$(pgrep -f '^sleep 3101$' | tr '\n' ' ')" "" "the step's process is gone (checked in /proc)"

# ---- an entry altered after it was written: nothing from it on is used -------
cp "$tmp/journal.whole" "$journal"
# same length, still JSON, but not what was written: step one's end
sed -i 's/"status":"ok"/"status":"no"/' "$journal"
run U history --job torn
is "$(summary "$(newest torn)")" "interrupted one ['interrupted']" \
	"recovery stops at the altered entry (step one never ended, as far as it can tell)"
rm -f "$(newest torn)"

# ---- what a run writes grows with the run, not with the run squared ----------
{
	printf 'job: many\nwindows: [w]\nsteps:\n'
	for i in $(seq 1 300); do
		printf '  - { name: s%d, kind: command, run: ["true"], timeout: 1m }\n' "$i"
	done
	# upkeep's own count of the bytes it wrote so far (its write calls)
	printf '  - { name: io, kind: command, shell: "grep ^wchar: /proc/$PPID/io >%s/io", timeout: 1m }\n' "$tmp"
} >"$cfg/jobs/many.yaml"
run U run many
is "$rc" 0 "a run of 300 steps succeeds"
wrote=$(awk '{print $2}' "$tmp/io" 2>/dev/null)
note "301 steps: upkeep wrote ${wrote:-?} bytes before its last step"
cmp_ok "${wrote:-999999999}" -lt 2000000 "it wrote under 2 MB by its last step (the whole record at every change was about 37 MB)"

done_testing
