#!/usr/bin/env bash
# bench/vacuum.sh - upkeep's vacuum step against what a PostgreSQL user
# would run instead, on a throwaway PostgreSQL 15 (the test fixture,
# tests/lib/servers.sh, autovacuum off) holding BENCH_VACUUM_TABLES
# (default 500) tables of mixed sizes (every 50th one ~100 times larger).
# Whole processes on both sides: all of `upkeep run` (start, lock, plan,
# vacuum, record, reports) against all of the baseline.
#
#   select: all, jobs 1 and 4   vs `vacuumdb --analyze --jobs 1|4`: the
#       same work, VACUUM ANALYZE of every table (goal <= 1.05 at both);
#       checked: every table's vacuum_count went up, on both sides;
#   select: needed, jobs 4, 10 % of the tables dirty   vs the recipe a
#       user would write: a psql query of autovacuum's formula (threshold
#       + scale_factor x reltuples, for dead tuples and for changes since
#       ANALYZE, the server's settings) feeding `vacuumdb --analyze -j 4
#       -t ...` (goal < 1.0); checked: no table is left over the formula.
#
# Before every timed side the same rows are updated again (untimed), so
# each finds the same dead tuples.  upkeep keeps its records and reports
# from round to round, as a host that ran before does (a round that
# started from an empty reports directory paid for a first run ever:
# making its directories and files); what history costs is
# history-cost.sh's measure.  Paired, alternating rounds (bench/lib.sh).
#
#   bench/vacuum.sh [build/upkeep]
set -euo pipefail
upkeep=$(realpath "${1:-build/upkeep}")
ntables=${BENCH_VACUUM_TABLES:-500}
repo=$(cd "$(dirname "$0")/.." && pwd)

set +eu
# shellcheck source=tests/lib/servers.sh
. "$repo/tests/lib/servers.sh" >/dev/null
set -eu
# shellcheck source=bench/lib.sh
. "$repo/bench/lib.sh"
pg_start "max_locks_per_transaction = 1024"  # every table made in one DO block
work=$BENCH_TMP
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

# One config root per job, each keeping its own records (the week's
# report of one job's rounds is not rebuilt with another's 500 tables).
for c in all1 all4 needed; do
	mkdir -p "$work/$c/jobs" "$work/$c/schedules"
	printf 'window: w\nstart: daily\nduration: 1h\n' >"$work/$c/schedules/w.yaml"
done
for j in 1 4; do
	cat >"$work/all$j/jobs/all$j.yaml" <<YAML
job: all$j
windows: [w]
steps:
  - { name: vacuum, kind: vacuum, timeout: 1h, dsn: "dbname=bench", select: all, jobs: $j }
YAML
done
cat >"$work/needed/jobs/needed.yaml" <<YAML
job: needed
windows: [w]
steps:
  - { name: vacuum, kind: vacuum, timeout: 1h, dsn: "dbname=bench", jobs: 4 }
YAML

U() { "$upkeep" --config "$work/$1" run "$1" --ignore-window; }
vacuums() { psql -X -At -c "SELECT sum(vacuum_count) FROM pg_stat_user_tables"; }
# The tables over autovacuum's formula, as schema.table.
needed_sql="SELECT format('%I.%I', s.schemaname, s.relname)
	FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
	WHERE s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8
		+ current_setting('autovacuum_vacuum_scale_factor')::float8 * greatest(c.reltuples, 0)
	   OR s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8
		+ current_setting('autovacuum_analyze_scale_factor')::float8 * greatest(c.reltuples, 0)"

all_prep() {
	dirty 1 5 && vc_before=$(vacuums)
}
all_check() {
	local after
	after=$(vacuums)
	[ "$after" -ge $((vc_before + ntables)) ] ||
		{ echo "only $((after - vc_before)) of $ntables tables vacuumed"; return 1; }
}
for j in 1 4; do
	eval "up_all$j() { U all$j; }"
	eval "vdb_all$j() { vacuumdb -q --analyze --jobs $j -d bench; }"
	bench_compare -m "vacuum, select: all, jobs $j, $ntables tables ($size)" \
		-b "vacuumdb --analyze --jobs $j" -g "<= 1.05" \
		-u "up_all$j" -B "vdb_all$j" -p all_prep -c all_check
done

needed_prep() {
	dirty 10 1
}
needed_check() {
	local left
	left=$(psql -X -At -v ON_ERROR_STOP=1 -c "$needed_sql" | wc -l) || return 1
	[ "$left" -eq 0 ] || { echo "$left tables still over autovacuum's formula"; return 1; }
	dead >>"$work/dead.$1"
}
up_needed() { U needed; }
recipe() {
	local out t args=()
	out=$(psql -X -At -v ON_ERROR_STOP=1 -c "$needed_sql") || return 1
	while read -r t; do [ -z "$t" ] || args+=(-t "$t"); done <<<"$out"
	[ ${#args[@]} -eq 0 ] || vacuumdb -q --analyze --jobs 4 -d bench "${args[@]}"
}
bench_compare -m "vacuum, select: needed, jobs 4, 10% of $ntables dirty" \
	-b "psql autovacuum formula | vacuumdb -t ... -j 4" -g "< 1.0" \
	-u up_needed -B recipe -p needed_prep -c needed_check
printf '  dead tuples left after each side: upkeep %s; recipe %s\n' \
	"$(sort -u "$work/dead.upkeep" 2>/dev/null | tr '\n' ' ')" "$(sort -u "$work/dead.base" 2>/dev/null | tr '\n' ' ')"
bench_end
