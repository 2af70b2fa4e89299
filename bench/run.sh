#!/usr/bin/env bash
# bench/run.sh - `make bench`: upkeep against what a user would otherwise
# run, each as whole processes over paired, alternating rounds (bench/lib.sh
# says how), ending with one table: measure, baseline, median ratio
# (upkeep / baseline), spread (min-max of the rounds), goal, met.  Absolute
# times on a shared machine are noise; the ratio of the same work done side
# by side is the figure.  Nothing asserts: the exit status is 1 only when a
# trial failed or a script could not run, not when a goal is missed.
#
# Here, the commands that need no server:
#   startup     `upkeep --version`, `check` of a one-job config, `next` of
#               one opening, each vs `git --version` (goal <= 2x), timed as
#               BENCH_STARTS (50) runs through bench/tools/repeat.c;
#   check       200 job files: vs a plain libyaml load of the same files
#               (bench/tools/yaml_load.c, linked to libyaml alone: syntax
#               only, the floor) and vs yamllint -d relaxed (a linter in
#               Python: syntax and style rules); upkeep checks keys, types,
#               units and references on top of parsing;
#   next        1000 openings of 10 calendar specs vs `systemd-analyze
#               calendar --iterations=1000` on the same specs, both in UTC
#               (TZ=UTC) and without a zone argument: with one, systemd forks
#               a child per iteration and the comparison measures that;
#   steps       a job of N `true` command steps vs a bash script running
#               `timeout 10 true` N times (goal <= 1.0 at every N of
#               BENCH_STEPS, "10 100 1000"); history is cleared before each
#               upkeep run so the rounds do the same work;
#   kill        timeout expiry -> last descendant gone (a figure; a process
#               left behind is a failure);
#   daemon      wake-up latency (bench/daemon-wake.sh) and idle RSS of
#               BENCH_ROUNDS fresh daemons (goal < 4 MB; Debian cron's RSS,
#               when installed, is shown for reference), and of as many
#               daemons after a run that loaded libpq and libcurl (goal
#               < 4 MB too);
# Then rollback.sh, report.sh, history-cost.sh, vacuum.sh, snapshot.sh and
# docker-prune.sh, each standalone too (see their headers for their
# sizes).  BENCH_ONLY=core runs only this file's part; BENCH_SKIP="vacuum
# snapshot" leaves scripts out.
#
#   bench/run.sh [build/upkeep]
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
here=$(cd "$(dirname "$0")" && pwd)
export BENCH_TOOLS=${BENCH_TOOLS:-$(dirname "$upkeep")/bench-tools}
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
export BENCH_ROUNDS
tmp=$BENCH_TMP
repeat=$(bench_tool repeat)
yaml_load=$(bench_tool yaml_load)
started=$(date +%s)

# ---- startup: the commands that need no server vs git --version -------------
starts=${BENCH_STARTS:-50}
mkdir -p "$tmp/one/schedules" "$tmp/one/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$tmp/one/schedules/w.yaml"
printf 'job: j\nwindows: [w]\nsteps:\n  - { name: s, kind: command, run: ["true"], timeout: 10s }\n' \
	>"$tmp/one/jobs/j.yaml"
git_start() { "$repeat" "$starts" git --version; }
up_version() { "$repeat" "$starts" "$upkeep" --version; }
up_check1() { "$repeat" "$starts" "$upkeep" check -q --config "$tmp/one"; }
up_next1() { "$repeat" "$starts" "$upkeep" next --spec daily -n 1 --from '2026-11-22 00:00'; }
bench_compare -m "startup: upkeep --version" -b "git --version" -g "<= 2.0" -u up_version -B git_start
bench_compare -m "startup: upkeep check (1 job)" -b "git --version" -g "<= 2.0" -u up_check1 -B git_start
bench_compare -m "startup: upkeep next -n 1" -b "git --version" -g "<= 2.0" -u up_next1 -B git_start

# ---- check: 200 job files ---------------------------------------------------
mkdir -p "$tmp/cfg/schedules" "$tmp/cfg/jobs"
cp "$here"/../schedules/*.yaml "$tmp/cfg/schedules/"
for i in $(seq 1 200); do
	sed "s/^job: weekly/job: weekly-$i/" "$here/../jobs/weekly.yaml" >"$tmp/cfg/jobs/weekly-$i.yaml"
done
"$upkeep" check -q --config "$tmp/cfg" || { echo "bench: the check config is invalid" >&2; exit 1; }
up_check() { "$repeat" 5 "$upkeep" check -q --config "$tmp/cfg"; }
yaml_check() { "$repeat" 5 "$yaml_load" "$tmp/cfg"; }
bench_compare -m "check: 200 job files (x5)" -b "libyaml load of the same files (C)" \
	-u up_check -B yaml_check
if command -v yamllint >/dev/null; then
	up_check_once() { "$upkeep" check -q --config "$tmp/cfg"; }
	yamllint_check() { yamllint -d relaxed "$tmp/cfg"; }
	bench_compare -m "check: 200 job files" -b "yamllint -d relaxed (syntax+style lint)" \
		-u up_check_once -B yamllint_check
else
	echo "yamllint is not installed (scripts/deps.sh bench): no yamllint row"
fi

# ---- next: 10 specs x 1000 openings vs systemd-analyze, no zone --------------
specs=("Sun *-*-* 02:00" "Mon..Fri 22:30" "*-*-01 03:00" "Sat,Sun 06:00"
       "*-*-* 01:00/4:00" "Wed *-*-1..7 04:00" "*-02~03 05:00" "quarterly"
       "*-*-* 02:30" "Mon *-05~07/1 01:00")
spec_args=()
for s in "${specs[@]}"; do spec_args+=(--spec "$s"); done
up_next() { TZ=UTC "$repeat" 5 "$upkeep" next "${spec_args[@]}" -n 1000 --from '2026-11-22 00:00'; }
sd_next() {
	TZ=UTC "$repeat" 5 systemd-analyze calendar --iterations=1000 \
		--base-time='2026-11-22 00:00' "${specs[@]}"
}
if command -v systemd-analyze >/dev/null; then
	bench_compare -m "next: 10 specs x 1000 openings (x5)" \
		-b "systemd-analyze calendar, no zone" -u up_next -B sd_next
fi

# ---- steps: N `true` command steps vs bash + timeout -------------------------
for n in ${BENCH_STEPS:-10 100 1000}; do
	d=$tmp/steps$n
	mkdir -p "$d/cfg/schedules" "$d/cfg/jobs"
	printf 'window: w\nstart: daily\nduration: 1h\n' >"$d/cfg/schedules/w.yaml"
	{
		printf 'job: steps\nwindows: [w]\nsteps:\n'
		for i in $(seq 1 "$n"); do
			printf '  - { name: s%d, kind: command, run: ["true"], timeout: 10s }\n' "$i"
		done
	} >"$d/cfg/jobs/steps.yaml"
	{
		printf '#!/bin/bash\nset -e\n'
		for _ in $(seq 1 "$n"); do echo "timeout 10 true"; done
	} >"$d/steps.sh"
	chmod +x "$d/steps.sh"
	steps_dir=$d
	# Each round's run is the same run (same id, empty history), on a host
	# whose reports/ and state/ directories exist, as a real one's do:
	# the files go, the directories stay (making ~7 new directories and
	# syncing them is a first run's cost, not every run's).
	steps_prep() {
		[ "$1" != upkeep ] || [ ! -d "$steps_dir/cfg/reports" ] ||
			find "$steps_dir/cfg/reports" "$steps_dir/cfg/state" -type f -delete
	}
	steps_up() { "$upkeep" --config "$steps_dir/cfg" --now '2026-11-22 00:00' run steps -q; }
	steps_sh() { "$steps_dir/steps.sh"; }
	bench_compare -m "run: $n command steps" -b "bash: timeout 10 true, x$n" -g "<= 1.0" \
		-u steps_up -B steps_sh -p steps_prep
done

# ---- kill latency: timeout expiry -> last descendant gone -------------------
mkdir -p "$tmp/kill/schedules" "$tmp/kill/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$tmp/kill/schedules/w.yaml"
printf 'kill_grace: 0s\n' >"$tmp/kill/upkeep.yaml"
# A sleep time of our own, so that only our processes are looked for.
token=600.$$
cat >"$tmp/kill/jobs/runaway.yaml" <<YAML
job: runaway
windows: [w]
steps:
  - name: tree
    kind: command
    shell: "trap '' TERM; for i in 1 2 3 4 5 6 7 8 9 10; do (trap '' TERM; setsid sleep $token &); sleep $token & done; wait"
    timeout: 1s
YAML
trials=${BENCH_KILL_TRIALS:-10}
kill_failed=0
: >"$tmp/kill/lat"
echo "kill latency: 20 processes ignoring SIGTERM (half setsid), timeout 1s ($trials trials)"
for _ in $(seq 1 "$trials"); do
	"$upkeep" --config "$tmp/kill" --now '2026-11-22 00:00' run runaway -q >/dev/null 2>&1 || true
	if ! lat=$("$upkeep" --config "$tmp/kill" report --json 2>/dev/null | "$BENCH_PYTHON" -c \
		'import json,sys; s=json.load(sys.stdin)["steps"][0]; print(s["duration_ms"] - s["timeout_ms"])'); then
		kill_failed=$((kill_failed + 1)); echo "  trial FAILED: no report of the run"; continue
	fi
	left=$(pgrep -f "sleep $token" || true)
	if [ -n "$left" ]; then
		kill_failed=$((kill_failed + 1))
		echo "  trial FAILED: $(echo "$left" | wc -l) processes left"
		# shellcheck disable=SC2086 # one pid a word
		kill -KILL $left 2>/dev/null || true
		continue
	fi
	echo "$lat" >>"$tmp/kill/lat"
done
read -r klo khi < <(bench_minmax <"$tmp/kill/lat")
bench_row "kill: timeout -> last descendant gone" "-" "$(bench_median <"$tmp/kill/lat")" \
	"$klo" "$khi" ms "-" "$kill_failed" "$trials"

# ---- daemon: wake-up latency and idle RSS ------------------------------------
"$here/daemon-wake.sh" "$upkeep" ||
	bench_row "daemon wake-up (bench/daemon-wake.sh)" "-" - - - ms "-" 1 1
mkdir -p "$tmp/dmn/schedules" "$tmp/dmn/jobs"
printf 'job: stamp\nwindows: [later]\nsteps:\n  - { name: stamp, kind: command, run: ["true"], timeout: 10s }\n' \
	>"$tmp/dmn/jobs/stamp.yaml"
printf 'window: later\nstart: "Mon *-*-* 03:00"\nduration: 1h\n' >"$tmp/dmn/schedules/later.yaml"
rss_mb() { awk '/^VmRSS/ { printf "%.2f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
rss_failed=0
: >"$tmp/dmn/rss"
for _ in $(seq 1 "$BENCH_ROUNDS"); do
	"$upkeep" --config "$tmp/dmn" --now '2026-11-24 00:00' daemon 2>/dev/null &
	pid=$!
	sleep 1
	if r=$(rss_mb "$pid") && [ -n "$r" ]; then echo "$r" >>"$tmp/dmn/rss"
	else rss_failed=$((rss_failed + 1)); echo "  daemon FAILED: gone within 1 s"; fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
cron_ref=
if [ -x /usr/sbin/cron ]; then
	# Debian cron in the foreground, as a reference (not a ratio: goal is absolute).
	/usr/sbin/cron -f >/dev/null 2>&1 &
	c=$!
	sleep 0.5
	cron_ref=$(rss_mb "$c" || true)
	kill "$c" 2>/dev/null || true
	wait "$c" 2>/dev/null || true
fi
read -r rlo rhi < <(bench_minmax <"$tmp/dmn/rss")
rmed=$(bench_median <"$tmp/dmn/rss")
echo "idle daemon RSS: median $rmed MB over $BENCH_ROUNDS daemons${cron_ref:+ (Debian cron: $cron_ref MB)}"
bench_row "idle daemon RSS" "${cron_ref:+Debian cron: $cron_ref MB (reference)}" \
	"$rmed" "$rlo" "$rhi" MB "< 4" "$rss_failed" "$BENCH_ROUNDS"

# After a run: a daemon whose job's opening comes 1 s after it starts, with
# a postgres and an http pre-check (against closed ports: the checks fail
# fast, and libpq and libcurl are loaded all the same), measured once the
# pass is over and it sleeps again. A daemon that did not get that far is
# a failure.
mkdir -p "$tmp/dmr/schedules" "$tmp/dmr/jobs"
printf 'window: w\nstart: "Sun *-*-* 02:00"\nduration: 1h\n' >"$tmp/dmr/schedules/w.yaml"
cat >"$tmp/dmr/jobs/j.yaml" <<'YAML'
job: j
windows: [w]
prechecks:
  - { name: db, kind: postgres, dsn: "host=127.0.0.1 port=1 dbname=x connect_timeout=2" }
  - { name: api, kind: http, url: "http://127.0.0.1:1/health" }
steps:
  - { name: s, kind: command, run: ["true"], timeout: 10s }
YAML
rss_failed=0
: >"$tmp/dmr/rss"
for _ in $(seq 1 "$BENCH_ROUNDS"); do
	rm -rf "$tmp/dmr/reports" "$tmp/dmr/state"
	"$upkeep" --config "$tmp/dmr" --now '2026-11-22 01:59:59' daemon 2>"$tmp/dmr/log" &
	pid=$!
	for _ in $(seq 1 100); do
		[ "$(grep -c 'sleeping until' "$tmp/dmr/log")" -ge 2 ] && break
		sleep 0.1
	done
	if [ "$(grep -c 'sleeping until' "$tmp/dmr/log")" -ge 2 ] &&
	   grep -q "check 'db'" "$tmp/dmr/log" && r=$(rss_mb "$pid") && [ -n "$r" ]; then
		echo "$r" >>"$tmp/dmr/rss"
	else
		rss_failed=$((rss_failed + 1))
		echo "  daemon FAILED: no run and sleep within 10 s: $(tail -1 "$tmp/dmr/log")"
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
read -r rlo rhi < <(bench_minmax <"$tmp/dmr/rss")
rmed=$(bench_median <"$tmp/dmr/rss")
echo "idle daemon RSS after a run (libpq, libcurl): median $rmed MB over $BENCH_ROUNDS daemons"
bench_row "idle daemon RSS after a run (libpq, libcurl)" "-" \
	"$rmed" "$rlo" "$rhi" MB "< 4" "$rss_failed" "$BENCH_ROUNDS"

# ---- the step kinds and the reports, each against its own baseline ----------
if [ "${BENCH_ONLY:-}" != core ]; then
	stable_bench=$(dirname "$upkeep")/bench/stable_bench
	for b in rollback report history-cost vacuum snapshot docker-prune; do
		case " ${BENCH_SKIP:-} " in *" $b "*) continue ;; esac
		printf '\n'
		if [ "$b" = rollback ]; then arg=$stable_bench; else arg=$upkeep; fi
		"$here/$b.sh" "$arg" ||
			bench_row "bench/$b.sh did not finish" "-" - - - x "-" 1 1
	done
fi

printf '\nbench: %d rounds a comparison, %d s in all, on %s (load now: %s)\n\n' \
	"$BENCH_ROUNDS" $(($(date +%s) - started)) "$(uname -n)" "$(cut -d' ' -f1-3 /proc/loadavg)"
bench_table "$BENCH_RESULTS"
[ "$(bench_failures "$BENCH_RESULTS")" -eq 0 ]
