#!/usr/bin/env bash
# bench/history-cost.sh - what a run's own bookkeeping costs as history
# grows (issue 21, item 1): the same one-step `upkeep run` (record, run
# report, the week's model and its Markdown and HTML, the summaries index,
# the metrics textfile) on a config with BENCH_RECORDS (50,000) records of
# ten jobs on disk, one a night each, in the shape of report.sh's, against
# the same run on a config with none.  Goal: <= 1.10 (the same within
# 10 %).  Two cases:
#
#   a new week   the run is the first of ISO week 2026-W49: its trend's
#       seven earlier weeks hold 490 of the records;
#   a full week  the run is in 2026-W48, whose model already holds 70 runs
#       (so its Markdown and HTML are 70 runs longer than the empty side's:
#       that part grows with the week, not with history).
#
# The empty side starts each round with no record (its reports and state
# are removed, untimed) but keeps its metrics textfile, as every run but a
# host's first finds one: replacing a file costs more than creating it
# (ext4 flushes the new one's data on a rename over the old), and that is
# not history's cost.  The full side keeps each round's run, as a real
# host would.  Before the timed rounds one untimed run on the full side builds
# what an upgrade from an upkeep without the index builds once (the
# index, the week's model).
#
# What grows with the run's own record instead (a vacuum of 500 tables
# writes ~300 KB) is timed part by part, in CPU time, by
# BUILD/bench/history_bigrec ROOT RECORD N (bench/history_bigrec.c).
#
#   bench/history-cost.sh [UPKEEP]      (default build/upkeep)
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
nrec=${BENCH_RECORDS:-50000}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
tmp=$BENCH_TMP

mkcfg() {
	mkdir -p "$1/schedules" "$1/jobs"
	printf 'window: nightly\nstart: "*-*-* 02:00"\nduration: 2h\n' >"$1/schedules/nightly.yaml"
	printf 'metrics: { textfile: %s/upkeep.prom }\n' "$1" >"$1/upkeep.yaml"
	printf 'job: web\nwindows: [nightly]\nsteps:\n  - { name: one, kind: command, run: ["true"], timeout: 10s }\n' >"$1/jobs/web.yaml"
}
empty=$tmp/empty full=$tmp/full
mkcfg "$empty"
mkcfg "$full"
"$upkeep" --config "$full" --now '2026-11-23 02:00' run web >/dev/null 2>&1
template=$(ls "$full"/reports/runs/2026/*.json)
"$BENCH_PYTHON" "$(dirname "$0")/tools/fake_records.py" "$template" "$full/reports/runs" "$nrec"
rm -rf "$full/reports/weekly" "$full/upkeep.prom"

# Each round's run starts a minute later (a run id a second apart is
# another run; the same start twice is not what a host does).
round=0
at() { printf '2026-%s %02d:%02d' "$1" $((3 + round / 60)) $((round % 60)); }
prep() { [ "$1" = base ] && rm -rf "$empty/reports" "$empty/state"; round=$((round + 1)); }
case_run() { "$upkeep" --config "$1" --now "$(at "$2")" run web >/dev/null 2>&1; }

# The empty side's textfile, as a host that ran before has one.
: >"$empty/upkeep.prom"
# Untimed: what an upgrade builds once (the index, the models).
case_run "$full" 11-30
"$upkeep" --config "$full" --now '2026-11-29 12:00' history >/dev/null
case_run "$full" 11-29

up_new() { case_run "$full" 11-30; }
base_new() { case_run "$empty" 11-30; }
bench_compare -m "one-step run, new week, $nrec records vs none" -b "the same run with no record on disk" \
	-g "<= 1.10" -u up_new -B base_new -p prep
up_week() { case_run "$full" 11-29; }
base_week() { case_run "$empty" 11-29; }
bench_compare -m "one-step run, in a week of 70 runs, $nrec records vs none" -b "the same run with no record on disk" \
	-g "<= 1.10" -u up_week -B base_week -p prep
bench_end
