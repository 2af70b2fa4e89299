#!/usr/bin/env bash
# A full disk loses nothing and misrecords nothing: state_dir and
# reports_dir on a real 2 MiB tmpfs. A disk full before the run: no step
# starts, exit 2, no empty journal left. A disk that fills during the run:
# the record that could not be written is written by the next upkeep with
# its real outcome. A journal whose first entry is not whole (empty, torn,
# or an earlier version's halves both spoiled) is reported and cleaned. A
# run that fills the disk to the last byte mid-run still ends with its
# steps journalled (the reservation holds), however many steps follow.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

disk=$tmp/disk
mkdir -p "$disk"
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>"$tmp/mount.err"; then
	if [ "${CI:-}" = true ]; then
		fail "mount a 2 MiB tmpfs (needs root): $(cat "$tmp/mount.err")"
		done_testing
		exit 1
	fi
	skip_all "cannot mount a tmpfs here (not root?): $(cat "$tmp/mount.err")"
fi
_unmount() { umount -l "$disk" 2>/dev/null; }
tap_at_exit _unmount

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 00:00"\nduration: 23h\n' >"$cfg/schedules/w.yaml"
printf 'state_dir: %s/state\nreports_dir: %s/reports\n' "$disk" "$disk" >"$cfg/upkeep.yaml"
U() { "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' "$@"; }
records() { find "$disk/reports" -path '*/.index' -prune -o -name '*.json' ! -name '.*' -print 2>/dev/null | sort; }
fill() { dd if=/dev/zero of="$disk/filler" bs=64k 2>/dev/null; sync; }

# ---- full before the run: nothing starts ------------------------------------
cat >"$cfg/jobs/a.yaml" <<YAML
job: a
windows: [w]
steps:
  - { name: touch, kind: command, run: [touch, "$tmp/a-ran"] }
YAML
fill
run U run a
is "$rc" 2 "disk full before the run: exit 2"
like "$err" "cannot write the journal '$disk/state/journal/[^']*': No space left on device; free space there" "says the disk is full and where"
like "$err" "the run did not start" "says the run did not start"
ok "no step ran" test ! -e "$tmp/a-ran"
is "$(find "$disk/state/journal" -type f 2>/dev/null | wc -l)" 0 "no empty journal is left behind"
rm -f "$disk/filler"

# ---- the disk fills during the run: the record comes later, truthfully ------
cat >"$cfg/jobs/b.yaml" <<YAML
job: b
windows: [w]
steps:
  - { name: first, kind: command, run: ["true"] }
  - { name: fills, kind: command, shell: "dd if=/dev/zero of=$disk/filler bs=64k 2>/dev/null; true" }
YAML
run U run b
isnt "$rc" 0 "the record could not be written: not exit 0"
like "$err" "No space left on device; the journal keeps the run \\(succeeded\\): the next upkeep writes its record" "says the journal keeps the run and its outcome"
is "$(records | wc -l)" 0 "no half-written record"
is "$(find "$disk/reports" -name '*.tmp*' | wc -l)" 0 "no temp file left"
rm -f "$disk/filler"
run U history --job b --json
like "$err" "wrote the record of run .* \\(succeeded\\), which its upkeep could not write" "the next upkeep writes the record"
is "$(echo "$out" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print([(x["job"], x["status"]) for x in r])')" "[('b', 'succeeded')]" "with the run's real outcome (not interrupted)"
rec=$(records | head -1)
is "$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print([s["status"] for s in r["steps"]])' "$rec")" "['ok', 'ok']" "every step as it ended"
is "$(find "$disk/state/journal" -type f | wc -l)" 0 "the journal is gone once the record is on disk"

# ---- journals that are empty or corrupt --------------------------------------
mkdir -p "$disk/state/journal"
# this version's: a first entry cut short by a crash in its append
printf '#upkeep-journal 300 00112233aabbccdd\n{"set":{"run_id":"20261122T015500Z-b-1a2b"' \
	>"$disk/state/journal/20261122T015500Z-b-1a2b.journal"
# an earlier version's two halves, one empty, one torn
: >"$disk/state/journal/20261122T015400Z-b-3c4d.0.json"
printf '{"run_id": "20261122T0154' >"$disk/state/journal/20261122T015400Z-b-3c4d.1.json"
run U history --job b --json
like "$err" "the journal of run 20261122T015500Z-b-1a2b is empty or corrupt" "a journal whose first entry is torn is reported"
like "$err" "the journal of run 20261122T015400Z-b-3c4d is empty or corrupt" "so are an earlier version's spoiled halves"
is "$(find "$disk/state/journal" -type f | wc -l)" 0 "and cleaned"
is "$(echo "$out" | "$PY" -c 'import json,sys; print(sorted([x["status"] for x in json.load(sys.stdin) if x["run_id"] in ("20261122T015500Z-b-1a2b", "20261122T015400Z-b-3c4d")]))')" "['interrupted', 'interrupted']" "the lost runs are recorded as interrupted, so someone notices"

# ---- the disk full to the last byte, many steps after: all journalled --------
cat >"$cfg/jobs/c.yaml" <<YAML
job: c
windows: [w]
steps:
  - { name: fills, kind: command, shell: "dd if=/dev/zero of=$disk/filler bs=4k 2>/dev/null; dd if=/dev/zero of=$disk/filler2 bs=1 2>/dev/null; true" }
YAML
for i in $(seq 1 40); do
	printf '  - { name: s%d, kind: command, run: ["true"] }\n' "$i" >>"$cfg/jobs/c.yaml"
done
run U run c
like "$err" "the journal keeps the run \\(succeeded\\)" "the disk full to the last byte: the journal still kept all 41 steps"
rm -f "$disk/filler" "$disk/filler2"
run U history --job c --json
is "$(echo "$out" | "$PY" -c 'import json,sys; r=json.load(sys.stdin)[-1]; print(r["status"], len(r["steps"]), set(s["status"] for s in r["steps"]))' 2>&1)" "succeeded 41 {'ok'}" "the next upkeep writes the record: every step ok"

done_testing
