#!/usr/bin/env bash
# bench/snapshot.sh - upkeep's snapshot step against the shell way of
# taking the same verified backup, on a throwaway PostgreSQL 15 (the test
# fixture, tests/lib/servers.sh) holding a database of BENCH_SNAPSHOT_MB
# (default 1024) MiB:
#
#   shell:   pg_dump -Fc; pg_restore --list; sha256sum; tar czf; sha256sum
#   upkeep:  upkeep run (snapshot step: the same, plus metrics.json, the
#            manifest and retention)
#   and pg_dump -Fc alone, the floor (issue 6's goal: upkeep <= 1.03x it).
#
# Runs alternate (BENCH_RUNS rounds, default 3) so caches favour neither;
# the ratio of the summed times is the figure. Standalone:
#   bench/snapshot.sh [build/upkeep]
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
mb=${BENCH_SNAPSHOT_MB:-1024}
rounds=${BENCH_RUNS:-3}
repo=$(cd "$(dirname "$0")/.." && pwd)

# The fixture's TAP output is not wanted here (its diagnostics still reach
# stderr); done_testing at the end keeps its exit hook quiet.
set +eu
# shellcheck source=../tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" >/dev/null
set -eu
pg_start
tap_at_exit done_testing
work=$UPKEEP_TEST_TMP/bench
mkdir -p "$work/cfg/jobs" "$work/cfg/schedules" "$work/shell" "$work/files"

# ~110 bytes a row on disk; md5 text compresses about as real data does.
rows=$((mb * 9500))
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE bench" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d bench -c "CREATE TABLE t AS SELECT g AS id,
	md5(g::text) AS a, md5((g * 7)::text) AS b, now() - g * interval '1s' AS ts
	FROM generate_series(1, $rows) g" -c "ALTER TABLE t ADD PRIMARY KEY (id)" \
	-c "VACUUM ANALYZE t" >/dev/null
size=$(psql -X -At -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")
# A small config tree as `paths`, as a real job would have.
for i in $(seq 1 200); do head -c 4096 /dev/urandom | base64 >"$work/files/f$i.conf"; done

printf 'window: w\nstart: daily\nduration: 1h\n' >"$work/cfg/schedules/w.yaml"
cat >"$work/cfg/jobs/bench.yaml" <<YAML
job: bench
windows: [w]
steps:
  - { name: snapshot, kind: snapshot, timeout: 2h, postgres: ["dbname=bench"], paths: ["$work/files"], keep_last: 1 }
YAML

ms() { echo $(( $(date +%s%N) / 1000000 )); }

shell_way() {
	local d=$work/shell
	rm -rf "$d" && mkdir -p "$d"
	pg_dump -Fc -f "$d/bench.dump" -d bench
	pg_restore --list "$d/bench.dump" >/dev/null
	sha256sum "$d/bench.dump" >"$d/SHA256SUMS"
	tar czf "$d/files.tar.gz" -C / "${work#/}/files"
	sha256sum "$d/files.tar.gz" >>"$d/SHA256SUMS"
}
dump_only() {
	pg_dump -Fc -f "$work/only.dump" -d bench
	rm -f "$work/only.dump"
}
upkeep_way() {
	"$upkeep" --config "$work/cfg" run --ignore-window bench >/dev/null
}

t_shell=0 t_dump=0 t_upkeep=0
for r in $(seq 1 "$rounds"); do
	for way in upkeep_way shell_way dump_only; do
		[ $((r % 2)) -eq 0 ] && case $way in upkeep_way) way=dump_only ;; dump_only) way=upkeep_way ;; esac
		s=$(ms)
		$way
		e=$(($(ms) - s))
		case $way in
		upkeep_way) t_upkeep=$((t_upkeep + e)) ;;
		shell_way) t_shell=$((t_shell + e)) ;;
		dump_only) t_dump=$((t_dump + e)) ;;
		esac
	done
done

printf 'snapshot of a %s database + 200 files (%d rounds, summed)\n' "$size" "$rounds"
printf '  %-46s %8d ms\n' "upkeep snapshot (dump, verify, sha256, tar," "$t_upkeep"
printf '  %-46s\n' "  metrics.json, manifest, retention)"
printf '  %-46s %8d ms\n' "shell: pg_dump -Fc, pg_restore --list," "$t_shell"
printf '  %-46s\n' "  sha256sum, tar czf, sha256sum"
printf '  %-46s %8d ms\n' "pg_dump -Fc alone" "$t_dump"
awk -v u="$t_upkeep" -v s="$t_shell" -v d="$t_dump" 'BEGIN {
	printf "  ratio: upkeep / shell way = %.3f; upkeep / pg_dump -Fc alone = %.3f (goal <= 1.03)\n", u / s, u / d
}'
