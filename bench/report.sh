#!/usr/bin/env bash
# Benchmark: reading 5,000 run records. `upkeep report --week W` (the weekly
# model over 8 weeks of trend, its Markdown and HTML rebuilt and written)
# and `upkeep history` (one line per run) against python3 merely loading
# the same JSON files, the least a hand-written report script would do.
# Goal: both upkeep commands under 300 ms. Nothing here asserts; it
# prints the figures and whether the goal is met.
#
#   bench/report.sh [UPKEEP]      (default build/upkeep; BENCH_RUNS=10)
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
runs=${BENCH_RUNS:-10}
nrec=${BENCH_RECORDS:-5000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

python3 - "$template" "$cfg/reports/runs" "$nrec" <<'PY'
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
mean_ms() {
	local start end
	start=$(date +%s%N)
	for _ in $(seq 1 "$runs"); do "$@" >/dev/null 2>&1 || true; done
	end=$(date +%s%N)
	echo $(( (end - start) / runs / 1000000 ))
}
U report --week 2026-W48 >/dev/null || { echo "report failed"; exit 1; }
w_ms=$(mean_ms U report --week 2026-W48)
h_ms=$(mean_ms U history)
p_ms=$(mean_ms python3 -c 'import glob, json, sys
rs = [json.load(open(p)) for p in glob.glob(sys.argv[1] + "/runs/*/*.json")]' "$cfg/reports")

printf 'reports over %d run records (%d runs each)\n' "$nrec" "$runs"
printf '  %-40s %6s ms\n' "upkeep report --week 2026-W48" "$w_ms"
printf '  %-40s %6s ms\n' "upkeep history" "$h_ms"
printf '  %-40s %6s ms\n' "python3: only json.load of every record" "$p_ms"
awk -v w="$w_ms" -v h="$h_ms" -v p="$p_ms" 'BEGIN {
	if (w < 1) w = 1; if (h < 1) h = 1
	printf "  ratio: report --week %.1fx, history %.1fx the time of python3 loading them\n", w / p, h / p
	printf "  goal < 300 ms: report --week %s, history %s\n", w < 300 ? "met" : "MISSED", h < 300 ? "met" : "MISSED"
}'
