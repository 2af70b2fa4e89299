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

"$BENCH_PYTHON" - "$template" "$cfg/reports/runs" "$nrec" <<'PY'
import copy, datetime, json, os, random, sys
template, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = json.load(open(template))
os.remove(template); os.remove(template[:-5] + ".md")
random.seed(1)
# Ten jobs, every night, going back n/10 nights from 2026-11-29;
# a docker-prune step in the documented shape makes records realistic.
end = datetime.datetime(2026, 11, 29, 2, 0)
for i in range(n):
    job = "job%02d" % (i % 10)
    t = end - datetime.timedelta(days=i // 10, minutes=i % 10)
    r = copy.deepcopy(base)
    stamp = t.strftime("%Y%m%dT%H%M%SZ")
    r["run_id"] = "%s-%s-%04x" % (stamp, job, i)
    r["job"] = job
    r["started"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    r["finished"] = (t + datetime.timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r["status"] = random.choice(["succeeded"] * 8 + ["failed", "skipped-precheck"])
    r["window"]["start"] = t.replace(minute=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    r["steps"].append({"name": "docker cleanup", "kind": "docker-prune", "status": "ok",
                       "duration_ms": random.randint(1000, 60000), "timeout_ms": 1800000,
                       "details": {"bytes": random.randint(0, 1 << 32),
                                   "categories": {c: {"count": 3, "bytes": random.randint(0, 1 << 30)}
                                                  for c in ("containers", "images", "networks")}}})
    d = os.path.join(out, t.strftime("%Y"))
    os.makedirs(d, exist_ok=True)
    json.dump(r, open(os.path.join(d, r["run_id"] + ".json"), "w"), indent=2, sort_keys=True)
PY

U() { "$upkeep" --config "$cfg" --now '2026-11-29 12:00' "$@"; }
U report --week 2026-W48 >/dev/null || { echo "bench: upkeep report failed" >&2; exit 1; }
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
