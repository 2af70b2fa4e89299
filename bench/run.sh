#!/usr/bin/env bash
# Benchmarks: upkeep against the tool a user would otherwise use, in one
# run, side by side; the ratio is the figure (absolute times on these
# machines are noise). Nothing here asserts: `make bench` prints numbers.
#
# config: validating a config root of 200 job files. The alternative an
# operator reaches for is yamllint, which checks YAML syntax only; upkeep
# check parses the same files and also checks every key, type, unit,
# reference and kind.
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
runs=${BENCH_RUNS:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/cfg/schedules" "$tmp/cfg/jobs"
cp schedules/*.yaml "$tmp/cfg/schedules/"
for i in $(seq 1 200); do
	sed "s/^job: weekly/job: weekly-$i/" jobs/weekly.yaml \
		>"$tmp/cfg/jobs/weekly-$i.yaml"
done

# Mean wall time of a command over $runs runs, in milliseconds.
mean_ms() {
	local start end
	start=$(date +%s%N)
	for _ in $(seq 1 "$runs"); do "$@" >/dev/null 2>&1 || true; done
	end=$(date +%s%N)
	echo $(( (end - start) / runs / 1000000 ))
}

peak_kib() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
}

"$upkeep" check -q --config "$tmp/cfg" || { echo "bench config invalid"; exit 1; }
u_ms=$(mean_ms "$upkeep" check -q --config "$tmp/cfg")
y_ms=$(mean_ms yamllint -d relaxed "$tmp/cfg")
u_kib=$(peak_kib "$upkeep" check -q --config "$tmp/cfg")
y_kib=$(peak_kib yamllint -d relaxed "$tmp/cfg")

printf 'config validation, 200 job files (%d runs each)\n' "$runs"
printf '  %-28s %6s ms  %7s KiB peak\n' "upkeep check" "$u_ms" "$u_kib"
printf '  %-28s %6s ms  %7s KiB peak\n' "yamllint (syntax only)" "$y_ms" "$y_kib"
awk -v u="$u_ms" -v y="$y_ms" -v uk="$u_kib" -v yk="$y_kib" 'BEGIN {
	if (u < 1) u = 1
	printf "  ratio: upkeep is %.1fx faster, %.1fx less memory\n", y / u, yk / uk
}'
