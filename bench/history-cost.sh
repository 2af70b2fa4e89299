#!/usr/bin/env bash
# bench/history-cost.sh - what a run's own bookkeeping costs as history
# grows (issue 21, item 1): the same one-step `upkeep run` (record, run
# report, the week's model and its Markdown and HTML, the summaries index,
# the metrics textfile) on a config with BENCH_RECORDS (50,000) records of
# ten jobs on disk, one a night each, in the shape of report.sh's.  Goal:
# <= 1.10 (the same within 10 %).  Two cases:
#
#   a new week   the run is the first of ISO week 2026-W49: its trend's
#       seven earlier weeks hold 490 of the records;
#   a full week  the run is in 2026-W48, whose model already holds 70 runs.
#
# Two baselines for each:
#
#   the report's eight weeks alone   a config holding only the ~560
#       records the week's report reads (2026-10-05 on): what the other
#       49,440 cost, i.e. whether the cost grows with history.  Both sides
#       keep each round's run, so both weeks grow alike.
#   none   a config with no record at all, each round starting empty (its
#       reports and state removed, untimed; its metrics textfile kept, as
#       every run but a host's first finds one: replacing a file costs more
#       than creating it, and that is not history's cost).  This one also
#       counts what grows with the week, not with history: the week's
#       Markdown and HTML are rebuilt after every run of the week (the
#       design's promise: they are current the moment a run ends), and a
#       week of 70 runs renders 70 runs.
#
# Before the timed rounds one untimed run on each kept side builds what
# an upgrade from an upkeep without the index builds once (the index, the
# week's model).
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
# Both sides are upkeep, writing the same files: on a tmpfs (bench/lib.sh
# says why), so that what differs is what history costs.
bench_tmpfs
tmp=$BENCH_TMPFS

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

# The same config with only the records of the last eight weeks.
recent=$tmp/recent
mkcfg "$recent"
mkdir -p "$recent/reports/runs/2026"
find "$full/reports/runs/2026" -name '*.json' | awk -F/ '$NF >= "20261005"' |
	xargs cp -t "$recent/reports/runs/2026"

# Each round's run starts a second later (a run id a second apart is
# another run; the same start twice is not what a host does), all inside
# the 02:00-04:00 window.
round=0
at() { printf '2026-%s 03:%02d:%02d' "$1" $((round / 60)) $((round % 60)); }
prep() { [ "$1" = base ] && rm -rf "$empty/reports" "$empty/state"; round=$((round + 1)); }
case_run() { "$upkeep" --config "$1" --now "$(at "$2")" run web >/dev/null 2>&1; }

# The empty side's textfile, as a host that ran before has one.
: >"$empty/upkeep.prom"
# Untimed: what an upgrade builds once (the index, the models).
for c in "$full" "$recent"; do
	case_run "$c" 11-30
	"$upkeep" --config "$c" --now '2026-11-29 12:00' history >/dev/null
	case_run "$c" 11-29
done

# History's own cost, apart from the week's: the same runs against a
# config holding only what the week's report reads (the records of its
# eight weeks, 2026-10-05 on, ~560), each round's run kept on both sides so
# both weeks grow alike.  Run first, while the two weeks are equal.
keep() { round=$((round + 1)); }
up_new() { case_run "$full" 11-30; }
recent_new() { case_run "$recent" 11-30; }
bench_compare -m "one-step run, new week, $nrec records vs 8 weeks'" -b "the same run with only the ~560 records its report reads" \
	-g "<= 1.10" -u up_new -B recent_new -p keep
up_week() { case_run "$full" 11-29; }
recent_week() { case_run "$recent" 11-29; }
bench_compare -m "one-step run, in a week of 70 runs, $nrec records vs 8 weeks'" -b "the same run with only the ~560 records its report reads" \
	-g "<= 1.10" -u up_week -B recent_week -p keep

up_new() { case_run "$full" 11-30; }
base_new() { case_run "$empty" 11-30; }
bench_compare -m "one-step run, new week, $nrec records vs none" -b "the same run with no record on disk" \
	-g "<= 1.10" -u up_new -B base_new -p prep
base_week() { case_run "$empty" 11-29; }
bench_compare -m "one-step run, in a week of 70 runs, $nrec records vs none" -b "the same run with no record on disk" \
	-g "<= 1.10" -u up_week -B base_week -p prep
bench_end
