#!/usr/bin/env bash
# bench/snapshot.sh - upkeep's snapshot step against the shell way of
# taking the same verified dump, on a throwaway PostgreSQL 15 (the test
# fixture, tests/lib/servers.sh) holding a database of BENCH_SNAPSHOT_MB
# (default 100; the issue's goal is set at 300) MiB.  Whole processes:
#
#   upkeep:  `upkeep run` of a job with one snapshot step: pg_dump -Fc,
#            pg_restore --list, sha256, the manifest (metrics: false, so
#            that it does the work the shell way does, no more);
#   vs pg_dump -Fc alone, the floor (goal <= 1.03);
#   vs the shell way: pg_dump -Fc; pg_restore --list; sha256sum (goal
#            <= 1.0).
#
# Before each side its previous output is removed (untimed; upkeep's
# records too), so every round writes into the same empty place.
# Paired, alternating rounds (bench/lib.sh).
#
#   bench/snapshot.sh [build/upkeep]
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
mb=${BENCH_SNAPSHOT_MB:-100}
repo=$(cd "$(dirname "$0")/.." && pwd)

set +eu
# shellcheck source=../tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" >/dev/null
set -eu
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
pg_start
work=$BENCH_TMP
mkdir -p "$work/cfg/jobs" "$work/cfg/schedules" "$work/shell"

# ~110 bytes a row on disk; md5 text compresses about as real data does.
rows=$((mb * 6100))
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE bench" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d bench -c "CREATE TABLE t AS SELECT g AS id,
	md5(g::text) AS a, md5((g * 7)::text) AS b, now() - g * interval '1s' AS ts
	FROM generate_series(1, $rows) g" -c "ALTER TABLE t ADD PRIMARY KEY (id)" \
	-c "VACUUM ANALYZE t" >/dev/null
size=$(psql -X -At -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")
printf 'window: w\nstart: daily\nduration: 1h\n' >"$work/cfg/schedules/w.yaml"
cat >"$work/cfg/jobs/bench.yaml" <<YAML
job: bench
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 2h, postgres: ["dbname=bench"], dest: "$work/snaps", keep_last: 1, metrics: false }
YAML

prep() {
	rm -rf "$work/snaps" "$work/cfg/reports" "$work/cfg/state" "$work/shell" "$work/only.dump"
	mkdir -p "$work/shell"
}
upkeep_way() { "$upkeep" --config "$work/cfg" run --ignore-window bench; }
dump_only() { pg_dump -Fc -f "$work/only.dump" -d bench; }
shell_way() {
	local d=$work/shell
	pg_dump -Fc -f "$d/bench.dump" -d bench &&
		pg_restore --list "$d/bench.dump" >/dev/null &&
		sha256sum "$d/bench.dump" >"$d/SHA256SUMS"
}
# A dump that upkeep's manifest names and that pg_restore can list.
upkeep_check() {
	[ "$1" = upkeep ] || return 0
	local dump
	dump=$(find "$work/snaps" -name '*.dump' | head -1)
	[ -n "$dump" ] && pg_restore --list "$dump" >/dev/null ||
		{ echo "no readable dump under $work/snaps"; return 1; }
}
bench_compare -m "snapshot, $size database" -b "pg_dump -Fc alone" -g "<= 1.03" \
	-u upkeep_way -B dump_only -p prep -c upkeep_check
bench_compare -m "snapshot, $size database" -b "pg_dump -Fc; pg_restore --list; sha256sum" \
	-g "<= 1.0" -u upkeep_way -B shell_way -p prep -c upkeep_check
bench_end
