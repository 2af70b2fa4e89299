#!/usr/bin/env bash
# bench/vacuum.sh - upkeep's vacuum step against vacuumdb (PostgreSQL's own
# tool) on the same database, a throwaway PostgreSQL 15 (the test fixture,
# tests/lib/servers.sh, autovacuum off) holding BENCH_VACUUM_TABLES
# (default 1000) tables of mixed sizes (every 50th one ~100 times larger).
#
#   1. select: all, jobs 1 and 4, vs vacuumdb --analyze --jobs 1 and 4:
#      the same work (VACUUM ANALYZE of every table); goal ratio <= 1.05.
#   2. 10 % of the tables dirty: select: needed vs vacuumdb --analyze over
#      everything: the speed-up (goal >= 5x), and the dead tuples left
#      afterwards (must be equal).
#
# Before every timed run the same rows are updated again (not timed), so
# each tool finds the same dead tuples. Runs alternate (BENCH_RUNS rounds,
# default 3) so caches favour neither; the ratio of the summed times is
# the figure. Standalone: bench/vacuum.sh [build/upkeep]
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
ntables=${BENCH_VACUUM_TABLES:-1000}
rounds=${BENCH_RUNS:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)

set +eu
# shellcheck source=tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" >/dev/null
set -eu
pg_start "max_locks_per_transaction = 1024"  # 1000 tables made in one DO block
tap_at_exit done_testing
work=$UPKEEP_TEST_TMP/bench
mkdir -p "$work/cfg/jobs" "$work/cfg/schedules"
export PGDATABASE=bench
Q() { psql -X -q -v ON_ERROR_STOP=1 "$@" >/dev/null; }

psql -X -q -d postgres -c "CREATE DATABASE bench" >/dev/null
Q -c "DO \$\$ BEGIN FOR i IN 1..$ntables LOOP
	EXECUTE format('CREATE TABLE t%s AS SELECT g AS id, md5(g::text) AS v
		FROM generate_series(1, %s) g', i,
		CASE WHEN i % 50 = 0 THEN 20000 ELSE 100 * (i % 10 + 1) END);
END LOOP; END \$\$"
Q -c "VACUUM ANALYZE"
size=$(psql -X -At -c "SELECT pg_size_pretty(pg_database_size('bench'))")

# dirty EVERY MOD: update the rows whose id is a multiple of MOD in one
# table of EVERY, picked by a hash of its number (so as many large ones as
# the whole has; all rows for MOD 1: autovacuum's formula picks them), then
# make sure the statistics are flushed (same session) before timing.
dirty() {
	Q -c "DO \$\$ BEGIN FOR i IN 1..$ntables LOOP
		IF abs(hashint4(i)) % $1 = 0 THEN
			EXECUTE format('UPDATE t%s SET v = v WHERE id %% $2 = 0', i);
		END IF;
	END LOOP; END \$\$" -c "SELECT pg_stat_force_next_flush()" -c "SELECT 1"
}
dead() { psql -X -At -c "SELECT sum(n_dead_tup) FROM pg_stat_user_tables"; }

printf 'window: w\nstart: daily\nduration: 1h\n' >"$work/cfg/schedules/w.yaml"
for j in 1 4; do
	cat >"$work/cfg/jobs/all$j.yaml" <<YAML
job: all$j
windows: [w]
steps:
  - { name: vacuum, kind: vacuum, timeout: 1h, dsn: "dbname=bench", select: all, jobs: $j }
YAML
done
cat >"$work/cfg/jobs/needed.yaml" <<YAML
job: needed
windows: [w]
steps:
  - { name: vacuum, kind: vacuum, timeout: 1h, dsn: "dbname=bench", jobs: 4 }
YAML

ms() { echo $(($(date +%s%N) / 1000000)); }
# timed CMD...: prints the wall time of CMD in ms.
timed() {
	local s
	s=$(ms)
	"$@" >/dev/null 2>&1 || { echo "bench: $* failed" >&2; exit 1; }
	echo $(($(ms) - s))
}
U() { "$upkeep" --config "$work/cfg" run "$1" --ignore-window; }
# step_ms JOB: the vacuum step's own time in JOB's last run, from its
# record (the rest of `upkeep run` is the engine: lock, journal, record,
# reports).
step_ms() {
	"$upkeep" --config "$work/cfg" history --job "$1" --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[-1]["steps"][0]["duration_ms"])'
}

declare -A sum=()
for _ in $(seq 1 "$rounds"); do
	for j in 1 4; do
		dirty 1 5
		sum[vdb$j]=$((${sum[vdb$j]:-0} + $(timed vacuumdb -q --analyze --jobs "$j" -d bench)))
		dirty 1 5
		sum[upk$j]=$((${sum[upk$j]:-0} + $(timed U "all$j")))
		sum[stp$j]=$((${sum[stp$j]:-0} + $(step_ms "all$j")))
	done
	dirty 10 1
	sum[vdbn]=$((${sum[vdbn]:-0} + $(timed vacuumdb -q --analyze --jobs 4 -d bench)))
	dead_vdb=$(dead)
	dirty 10 1
	sum[upkn]=$((${sum[upkn]:-0} + $(timed U needed)))
	sum[stpn]=$((${sum[stpn]:-0} + $(step_ms needed)))
	dead_upk=$(dead)
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b ? b : 1) }'; }
printf 'vacuum: %d tables (%s), %d rounds, summed wall time; "step" is the\n' "$ntables" "$size" "$rounds"
printf 'vacuum step alone (its duration_ms in the record), "run" all of upkeep run\n'
for j in 1 4; do
	printf '  select: all, jobs %d: vacuumdb --analyze %6d ms; upkeep step %6d ms (ratio %s), run %6d ms (ratio %s); goal <= 1.05\n' \
		"$j" "${sum[vdb$j]}" "${sum[stp$j]}" "$(ratio "${sum[stp$j]}" "${sum[vdb$j]}")" \
		"${sum[upk$j]}" "$(ratio "${sum[upk$j]}" "${sum[vdb$j]}")"
done
printf '  10%% dirty, jobs 4:     vacuumdb --analyze %6d ms; upkeep select: needed step %6d ms (speed-up %sx), run %6d ms (speed-up %sx); goal >= 5x\n' \
	"${sum[vdbn]}" "${sum[stpn]}" "$(ratio "${sum[vdbn]}" "${sum[stpn]}")" \
	"${sum[upkn]}" "$(ratio "${sum[vdbn]}" "${sum[upkn]}")"
printf '  dead tuples left afterwards: vacuumdb %s, upkeep %s\n' "$dead_vdb" "$dead_upk"
