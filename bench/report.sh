#!/usr/bin/env bash
# bench/report.sh - reading the run records: BENCH_RECORDS (5,000) records
# of ten jobs, one a night each, with a docker-prune step in the
# documented shape.  Each upkeep command against python3 loading the same
# records, the least a hand-written report script would do:
#
#   report --week 2026-W48   rebuilds the week's model over 8 weeks of
#       trend (the records that started from Monday of W41 to the end of
#       W48, 560 at the default size) and writes its Markdown and HTML;
#       baseline: json.load of those same records, picked by the date in
#       their names (load only, nothing rendered);
#   history                  one line for every run on record; baseline:
#       json.load of every record and one printed line each.
#
# Paired, alternating rounds (bench/lib.sh).  The ratios are figures; the
# issue's goal for these two is absolute: each under 300 ms (at 50,000
# records: BENCH_RECORDS=50000), a row of its own.
#
#   bench/report.sh [UPKEEP]      (default build/upkeep)
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
nrec=${BENCH_RECORDS:-5000}
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
tmp=$BENCH_TMP

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: nightly\nstart: "*-*-* 02:00"\nduration: 2h\n' >"$cfg/schedules/nightly.yaml"
cat >"$cfg/jobs/web.yaml" <<'YAML'
job: web
windows: [nightly]
steps:
  - { name: prep, kind: command, run: ["true"], timeout: 10s }
  - { name: work, kind: command, run: [sh, -c, "echo working; echo done >&2"], timeout: 5m }
  - { name: check, kind: command, run: ["true"], timeout: 1m }
YAML
# One record from the real engine is the template of the others.
"$upkeep" --config "$cfg" --now '2026-11-23 02:00' run web >/dev/null 2>&1
template=$(ls "$cfg"/reports/runs/2026/*.json)
[ -n "$template" ] || { echo "bench: no record to copy" >&2; exit 1; }

"$BENCH_PYTHON" "$(dirname "$0")/tools/fake_records.py" "$template" "$cfg/reports/runs" "$nrec"

U() { "$upkeep" --config "$cfg" --now '2026-11-29 12:00' "$@"; }
U report --week 2026-W48 >/dev/null || { echo "bench: upkeep report failed" >&2; exit 1; }
# Untimed, as for the week's model: the summaries index is built once
# (from every record) by the first command that reads it; the rounds time
# what every later one costs.
U history >/dev/null || { echo "bench: upkeep history failed" >&2; exit 1; }
# What report --week reads: weekly_model's span, Monday 2026-10-05 (W41)
# to Monday 2026-11-30.
week_py=$tmp/week.py
cat >"$week_py" <<'PY'
import glob, json, os, sys
lo, hi = "20261005", "20261130"
rs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/runs/*/*.json")
      if lo <= os.path.basename(p)[:8] < hi]
print(len(rs))
PY
hist_py=$tmp/history.py
cat >"$hist_py" <<'PY'
import glob, json, sys
rs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/runs/*/*.json")]
rs.sort(key=lambda r: r["started"])
for r in rs:
    print(r["started"], r["job"], r["status"], r["run_id"])
PY
nweek=$("$BENCH_PYTHON" "$week_py" "$cfg/reports")
up_week() { U report --week 2026-W48; }
py_week() { "$BENCH_PYTHON" "$week_py" "$cfg/reports"; }
up_hist() { U history; }
py_hist() { "$BENCH_PYTHON" "$hist_py" "$cfg/reports"; }
bench_compare -m "report --week, $nweek of $nrec records" -b "python3 json.load of the same $nweek" \
	-u up_week -B py_week
bench_time_row "report --week, $nrec records on disk (time)" "< 300"
bench_compare -m "history, $nrec records" -b "python3 json.load of all, a line each" \
	-u up_hist -B py_hist
bench_time_row "history, $nrec records (time)" "< 300"
bench_end
