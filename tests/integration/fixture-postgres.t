#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/fixture-postgres.t - the PostgreSQL fixture itself.
#
# Proves that pg_start (tests/lib/servers.sh) gives a working, private
# PostgreSQL 15 cluster reachable only through a unix socket in the test's
# temp dir, with the libpq environment set so psql "just works", and that
# pg_stop really stops it.  Checked with psql, the independent client.  Not
# a test of upkeep itself - the upkeep tests rely on this one being green.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"

pg_start

ok "psql connects with only the exported environment" psql -Atc 'select 1'
is "$PGHOST" "$UPKEEP_TEST_TMP/pg" "PGHOST is the socket directory in the test's temp dir"
ok "the socket exists there" test -S "$PGHOST/.s.PGSQL.$PGPORT"
is "$PGUSER/$PGDATABASE" "postgres/postgres" "PGUSER and PGDATABASE"
like "$(psql -Atc 'show server_version_num')" '^15[0-9]{4}$' "the server is PostgreSQL 15"
is "$(psql -Atc 'show listen_addresses')" "" "no TCP listener (listen_addresses is empty)"
fails "nothing answers on 127.0.0.1:$PGPORT" psql -h 127.0.0.1 -p "$PGPORT" -Atc 'select 1'
is "$(psql -Atc 'show fsync')" "off" "throwaway settings (fsync off)"
is "$(psql -Atc 'show autovacuum')" "off" "autovacuum is off, so dead tuples stay put for vacuum tests"

ok "create a table and insert rows" psql -v ON_ERROR_STOP=1 -qc "
	create table fixture_check (id int primary key, name text);
	insert into fixture_check values (1, 'one'), (2, 'two'), (3, 'three');"
is "$(psql -Atc "select string_agg(id || ':' || name, ',' order by id) from fixture_check")" \
	"1:one,2:two,3:three" "select the rows back"
is "$(psql -Atc "select n_live_tup from pg_stat_user_tables where relname = 'fixture_check'" )" "3" \
	"statistics are collected (n_live_tup)"

postmaster=$(head -n 1 "$PG_DATA/postmaster.pid")
like "$postmaster" '^[0-9]+$' "postmaster.pid names the server process"

pg_stop

fails "psql fails after pg_stop" psql -Atc 'select 1'
fails "the socket is gone" test -e "$PGHOST/.s.PGSQL.$PGPORT"
fails "the postmaster ($postmaster) is gone" kill -0 "$postmaster"
is "$(procs_mentioning "$UPKEEP_TEST_TMP/pg")" "" "no process of the cluster remains"
ok "pg_stop is idempotent" pg_stop

done_testing
