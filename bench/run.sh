#!/usr/bin/env bash
# Benchmarks: upkeep against the tool a user would otherwise use, in one
# run, side by side; the ratio is the figure (absolute times on these
# machines are noise). Nothing here asserts: `make bench` prints numbers.
#
# next: the next 1000 openings of 10 windows, against systemd-analyze
# calendar --iterations=1000 on the same specs (what a systemd-timer user
# would run to see the same thing).
#
# config: validating a config root of 200 job files. The alternative an
# operator reaches for is yamllint, which checks YAML syntax only; upkeep
# check parses the same files and also checks every key, type, unit,
# reference and kind.
#
# Then the run engine (100 steps vs bash, kill latency), the daemon (its
# wake-up in daemon-wake.sh, BENCH_WAKE_OPENINGS/BENCH_WAKE_TRIALS), and the
# scripts of the step kinds and reports: rollback.sh (vs git), report.sh
# (5,000 records), vacuum.sh (vs vacuumdb), snapshot.sh (vs pg_dump; a
# 1 GiB database by default: BENCH_SNAPSHOT_MB), docker-prune.sh (vs podman
# system prune). BENCH_ONLY=core runs only the first part.
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

# ---- next: 10 windows x 1000 openings vs systemd-analyze -------------------
specs=("Sun *-*-* 02:00" "Mon..Fri 22:30" "*-*-01 03:00" "Sat,Sun 06:00"
       "*-*-* 01:00/4:00" "Wed *-*-1..7 04:00" "*-02~03 05:00" "quarterly"
       "*-*-* 02:30" "Mon *-05~07/1 01:00")
zoned=() spec_args=()
for s in "${specs[@]}"; do zoned+=("$s Europe/Berlin"); spec_args+=(--spec "$s"); done
nruns=${BENCH_NEXT_RUNS:-5}
runs_saved=$runs; runs=$nruns
u_ms=$(mean_ms "$upkeep" next "${spec_args[@]}" --timezone Europe/Berlin -n 1000 --from '2026-11-22 00:00')
s_ms=$(mean_ms systemd-analyze calendar --iterations=1000 --base-time='2026-11-22 00:00 UTC' "${zoned[@]}")
runs=$runs_saved
printf '\nnext 1000 openings of 10 windows, Europe/Berlin (%d runs each)\n' "$nruns"
printf '  %-28s %6s ms\n' "upkeep next --spec" "$u_ms" "systemd-analyze calendar" "$s_ms"
awk -v u="$u_ms" -v s="$s_ms" 'BEGIN { if (u < 1) u = 1; printf "  ratio: upkeep is %.1fx faster\n", s / u }'

# ---- run: 100 `true` command steps vs a bash script running them -----------
mkdir -p "$tmp/eng/schedules" "$tmp/eng/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$tmp/eng/schedules/w.yaml"
{
	echo "job: hundred"
	echo "windows: [w]"
	echo "steps:"
	for i in $(seq 1 100); do
		echo "  - { name: s$i, kind: command, run: [\"true\"], timeout: 10s }"
	done
} >"$tmp/eng/jobs/hundred.yaml"
{
	echo '#!/bin/bash'
	echo 'set -e'
	for i in $(seq 1 100); do echo "timeout 10 true"; done
} >"$tmp/eng/hundred.sh"
chmod +x "$tmp/eng/hundred.sh"
runs_saved=$runs; runs=${BENCH_RUN_RUNS:-5}
u_ms=$(mean_ms "$upkeep" --config "$tmp/eng" --now '2026-11-22 00:00' run hundred -q)
b_ms=$(mean_ms "$tmp/eng/hundred.sh")
u_kib=$(peak_kib "$upkeep" --config "$tmp/eng" --now '2026-11-22 00:00' run hundred -q)
runs=$runs_saved
printf '\nrun: a job of 100 `true` command steps (record and report written) vs a\n'
printf 'bash script running `timeout 10 true` 100 times (%d runs each)\n' "${BENCH_RUN_RUNS:-5}"
printf '  %-28s %6s ms  %5s ms/step  %6s KiB peak\n' "upkeep run" "$u_ms" "$(awk -v u="$u_ms" 'BEGIN{printf "%.2f", u/100}')" "$u_kib"
printf '  %-28s %6s ms  %5s ms/step\n' "bash + timeout" "$b_ms" "$(awk -v b="$b_ms" 'BEGIN{printf "%.2f", b/100}')"
awk -v u="$u_ms" -v b="$b_ms" 'BEGIN { if (b < 1) b = 1; printf "  ratio: upkeep takes %.2fx the time of the script\n", u / b }'

# ---- kill latency: timeout expiry -> last descendant gone ------------------
mkdir -p "$tmp/kill/schedules" "$tmp/kill/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$tmp/kill/schedules/w.yaml"
printf 'kill_grace: 0s\n' >"$tmp/kill/upkeep.yaml"
cat >"$tmp/kill/jobs/runaway.yaml" <<'YAML'
job: runaway
windows: [w]
steps:
  - name: tree
    kind: command
    shell: "trap '' TERM; for i in 1 2 3 4 5 6 7 8 9 10; do (trap '' TERM; setsid sleep 600 &); sleep 600 & done; wait"
    timeout: 1s
YAML
trials=${BENCH_KILL_TRIALS:-20}
for _ in $(seq 1 "$trials"); do
	"$upkeep" --config "$tmp/kill" --now '2026-11-22 00:00' run runaway -q >/dev/null 2>&1 || true
	"$upkeep" --config "$tmp/kill" report --json |
		python3 -c 'import json,sys; s=json.load(sys.stdin)["steps"][0]; print(s["duration_ms"] - s["timeout_ms"])'
done | sort -n >"$tmp/kill/lat"
left=$(pgrep -c -f 'sleep 600' || true)
printf '\nkill latency: a step of 20 processes (half setsid, all ignoring SIGTERM),\n'
printf 'timeout 1s, kill_grace 0s, %d trials: timeout expiry -> last descendant gone\n' "$trials"
awk '{ v[NR] = $1 }
     function at(q,  i) { i = int(q * NR + 0.999); return v[i < 1 ? 1 : i] }
     END { printf "  p50 %d ms, p99 %d ms, max %d ms\n", at(0.5), at(0.99), v[NR] }' "$tmp/kill/lat"
printf '  processes left afterwards: %s\n' "$left"

# ---- daemon: wake-up latency, idle RSS and idle CPU -------------------------
# Wake-up latency and skipped openings: bench/daemon-wake.sh (periodic and
# one-off windows, idle and under CPU load, against a bash sleep loop); a
# skipped opening is a failure there, not a missing sample.
printf '\n'
"$(dirname "$0")/daemon-wake.sh" "$upkeep" || printf 'bench/daemon-wake.sh: the daemon skipped openings (see above)\n'
mkdir -p "$tmp/dmn/schedules" "$tmp/dmn/jobs"
printf 'job: stamp\nwindows: [soon]\nsteps:\n  - { name: stamp, kind: command, run: ["true"], timeout: 10s }\n' \
	>"$tmp/dmn/jobs/stamp.yaml"
# Idle: a window a week away.
printf 'window: soon\nstart: "Mon *-*-* 03:00"\nduration: 1h\n' >"$tmp/dmn/schedules/soon.yaml"
"$upkeep" --config "$tmp/dmn" --now '2026-11-24 00:00' daemon 2>/dev/null &
pid=$!
sleep 1
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep "${BENCH_IDLE_SECONDS:-5}"
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
kill -TERM "$pid"; wait "$pid" 2>/dev/null
cron_rss=$( (cron -f >/dev/null 2>&1 & c=$!; sleep 0.5; awk '/VmRSS/ { print $2 }' "/proc/$c/status"; kill "$c") 2>/dev/null || true)
printf 'daemon idle: %s KiB RSS%s; CPU over %ss idle: %s ticks\n' "$rss" \
	"${cron_rss:+ (Debian cron: $cron_rss KiB)}" "${BENCH_IDLE_SECONDS:-5}" "$((t1 - t0))"

# ---- the step kinds and the reports, each against its own alternative -------
# Each script stands alone (see its header for its knobs); BENCH_ONLY=core
# stops here.
[ "${BENCH_ONLY:-}" = core ] && exit 0
here=$(cd "$(dirname "$0")" && pwd)
printf '\n'
"$here/rollback.sh" "$(dirname "$upkeep")/bench/stable_bench"
for b in report vacuum snapshot docker-prune; do
	printf '\n'
	"$here/$b.sh" "$upkeep" || printf 'bench/%s.sh failed (see above)\n' "$b"
done
