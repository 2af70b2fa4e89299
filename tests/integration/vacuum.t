#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/vacuum.t - the `vacuum` step against the real
# PostgreSQL fixture (autovacuum off, so dead tuples stay where the test
# put them). What was vacuumed is read back with psql from
# pg_stat_user_tables (vacuum_count, analyze_count, n_dead_tup), what runs
# on the server from pg_stat_activity, and what upkeep says from its run
# record: selection by autovacuum's formula, select: all, the plan changes
# nothing, jobs: 4 really runs four statements at once, SKIP_LOCKED,
# table_timeout and the step's deadline cancel on the server, hostile
# names, a database dropped and a connection killed during the run.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

# The server's log names every session upkeep opens (log_connections).
pg_start "log_connections = on"
pglog=$UPKEEP_TEST_TMP/pg/postgres.log

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
# job NAME STEP-SETTINGS: a job with one vacuum step (flow mapping body).
job() {
	printf 'job: %s\nwindows: [w]\nsteps:\n  - { name: vac, kind: vacuum, %s }\n' \
		"$1" "$2" >"$cfg/jobs/$1.yaml"
}
# field JOB EXPR: EXPR of r (JOB's newest record), d (its step's details).
field() {
	U history --job "$1" --json | "$PY" -c '
import json, sys
r = json.load(sys.stdin)[-1]
d = r["steps"][0].get("details") or {}
t = {x["table"]: x for db in d.get("databases", []) for x in db["tables"]}
print(eval(sys.argv[1]))' "$2"
}
Q() { psql -v ON_ERROR_STOP=1 -d "${DB:-app}" -Atqc "$1"; }
# Statistics of a session's writes reach the shared counters when it goes
# idle; force that before the next session looks at them.
setup_sql() { psql -v ON_ERROR_STOP=1 -d "${DB:-app}" -q -c "$1" -c "select pg_stat_force_next_flush()" -c "select 1" >/dev/null; }
vacuumed() { Q "select coalesce(string_agg(relname, ',' order by relname), '') from pg_stat_user_tables where vacuum_count > 0"; }
counts() { Q "select string_agg(relname || ':' || vacuum_count || ':' || analyze_count, ',' order by relname) from pg_stat_user_tables"; }
# ours: upkeep's backends still on the server (other than idle ones).
ours() { psql -Atqc "select count(*) from pg_stat_activity where application_name like 'upkeep%'"; }
# no_backends_within SECONDS: our backends are all gone by then.
no_backends_within() {
	local end=$((SECONDS + $1))
	while [ "$(ours)" != 0 ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}
# lock DB TABLES...: another session holds ACCESS EXCLUSIVE locks on
# TABLES until unlock (or for LOCK_HOLD seconds); waits until the locks
# are granted.
lock() {
	local db=$1 tables
	shift
	tables=$(IFS=,; echo "$*")
	PGAPPNAME=locker psql -d "$db" -qc "begin; lock table $tables in access exclusive mode; select pg_sleep(${LOCK_HOLD:-120})" >/dev/null 2>&1 &
	locker=$!
	for _ in $(seq 100); do
		[ "$(psql -Atqc "select count(*) from pg_locks l join pg_stat_activity a using (pid) where a.application_name = 'locker' and l.mode = 'AccessExclusiveLock' and l.locktype = 'relation' and l.granted")" -ge $# ] && return 0
		sleep 0.05
	done
	return 1
}
# run_until_waiting JOB: starts `upkeep run JOB` in the background ($upid)
# and returns once one of its statements waits for a lock.
run_until_waiting() {
	U run "$1" --ignore-window >"$tmp/$1.out" 2>&1 &
	upid=$!
	for _ in $(seq 100); do
		[ "$(psql -Atqc "select count(*) from pg_stat_activity where application_name like 'upkeep%' and wait_event_type = 'Lock'")" = 1 ] && return 0
		sleep 0.05
	done
	return 1
}
unlock() {
	psql -Atqc "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'locker'" >/dev/null
	wait "$locker" 2>/dev/null
}

# ---- 200 tables, 20 of them with dead tuples -------------------------------
Q "create database app" 2>/dev/null || psql -qc "create database app"
setup_sql "do \$\$ begin for i in 1..200 loop
	execute format('create table t%s as select g as id, md5(g::text) as v from generate_series(1, 100) g', lpad(i::text, 3, '0'));
end loop; end \$\$"
setup_sql "analyze"
# 20 dirty tables: 200 dead tuples each, over autovacuum's 50 + 0.2 × 100.
dirty=$(seq -f 't%03g' 10 10 200 | paste -sd, -)
setup_sql "$(for t in ${dirty//,/ }; do printf 'update %s set v = v || 1; update %s set v = v || 2;\n' "$t" "$t"; done)"
# One table below the default threshold but over its own reloption.
setup_sql "alter table t001 set (autovacuum_vacuum_threshold = 5, autovacuum_vacuum_scale_factor = 0); update t001 set v = v || 1 where id <= 10"
is "$(Q "select count(*) from pg_stat_user_tables where n_dead_tup >= 200")" 20 "set-up: 20 tables with 200 dead tuples"

job needed 'dsn: "dbname=app", timeout: 1m, jobs: 2'

# ---- the plan: which tables and why, and nothing sent -----------------------
before=$(counts)
run U plan needed --ignore-window
is "$rc" 0 "plan exits 0" || diag "$out$err"
listed=$(grep -E '^ +[0-9]+\. public\.t[0-9]+: ' <<<"$out" | sed -E 's/^ +[0-9]+\. public\.(t[0-9]+):.*/\1/' | sort | paste -sd, -)
is "$listed" "t001,$dirty" "the plan lists exactly the 20 dirty tables and t001"
like "$out" "public\\.t010: VACUUM ANALYZE \\(8\\.0 KiB, 200 dead, 100 live\\) because 200 dead tuples > 50 \\+ 0\\.2 × 100 rows = 70" "the plan says why (autovacuum's formula)"
like "$out" "public\\.t001: VACUUM ANALYZE .* because 10 dead tuples > 5 \\+ 0 × 100 rows = 5" "the table's own reloptions count"
like "$out" "database 'app': 21 of 200 tables" "the plan counts the tables"
is "$(counts)" "$before" "plan sent no VACUUM or ANALYZE (vacuum_count, analyze_count unchanged)"
is "$(Q "select count(*) from pg_stat_user_tables where last_vacuum is not null")" 0 "last_vacuum is still empty everywhere"

# ---- select: needed vacuums exactly those ----------------------------------
run U run needed --ignore-window
is "$rc" 0 "select: needed: the run succeeds" || diag "$out$err"
is "$(vacuumed)" "t001,$dirty" "psql: exactly the dirty tables were vacuumed"
is "$(Q "select count(*) from pg_stat_user_tables where analyze_count > 1")" 21 "psql: and analyzed, no others"
is "$(Q "select sum(n_dead_tup) from pg_stat_user_tables")" 0 "psql: no dead tuples left"
is "$(field needed 'd["totals"]["selected"], d["totals"]["done"], d["totals"]["dead_tuples_before"], d["totals"]["dead_tuples_after"]')" \
	"(21, 21, 4010, 0)" "record: 21 selected and done, 4010 dead tuples before, 0 after"
is "$(field needed 't["t010"]["before"]["dead_tuples"], t["t010"]["after"]["dead_tuples"], t["t010"]["status"]')" \
	"(200, 0, 'done')" "record: per-table before/after"
is "$(field needed 'len(d["top_dead_tuples_removed"]), d["top_dead_tuples_removed"][0]["dead_tuples_removed"]')" \
	"(10, 200)" "record: the top 10 by dead tuples removed"
like "$(field needed 'r["steps"][0]["summary"]')" "^21 of 21 selected tables done \\(of 200 in 1 database\\); 4010 dead tuples removed, dead ratio [0-9.]+% -> 0\\.0%$" "summary"
ok "no backend of ours is left" no_backends_within 2
# The session the tables were chosen on is the first worker: jobs: 2 is
# two sessions in all, as with vacuumdb -j 2 (not a third for the choice).
rid=$(field needed 'r["run_id"]')
is "$(grep -c "connection authorized: .*application_name=upkeep/$rid\$" "$pglog")" 2 \
	"server log: jobs: 2 opened two sessions in all, the selection's included"

run U run needed --ignore-window
is "$(field needed 'd["totals"]["selected"]')" 0 "a second run finds nothing to do"

# ---- select: all -------------------------------------------------------------
job all 'dsn: "dbname=app", select: all, mode: vacuum, jobs: 3'
run U run all --ignore-window
is "$rc" 0 "select: all succeeds" || diag "$out$err"
is "$(Q "select count(*) from pg_stat_user_tables where vacuum_count >= 1")" 200 "psql: all 200 tables vacuumed"
is "$(Q "select count(*) from pg_stat_user_tables where vacuum_count = 1 and analyze_count = 1")" 179 "psql: mode: vacuum analyzed nothing more"

# ---- jobs: 4 really runs four statements at once ---------------------------
setup_sql "create table w1 (i int); create table w2 (i int); create table w3 (i int); create table w4 (i int); create table w5 (i int)"
ok "another session locks w1..w4" lock app w1 w2 w3 w4
job par 'dsn: "dbname=app", select: all, tables: ["w*"], jobs: 4, skip_locked: false, lock_timeout: 20s, table_timeout: 4s'
U run par --ignore-window >"$tmp/par.out" 2>&1 &
upid=$!
peak=0
for _ in $(seq 80); do
	n=$(psql -Atqc "select count(*) from pg_stat_activity where application_name like 'upkeep%' and state = 'active' and query like 'VACUUM%'")
	[ "$n" -gt "$peak" ] && peak=$n
	[ "$peak" -ge 4 ] && break
	sleep 0.05
done
is "$peak" 4 "pg_stat_activity: 4 VACUUM statements of upkeep at once"
wait "$upid"
is "$(field par '[(n, t[n]["status"]) for n in sorted(t)]')" \
	"[('w1', 'cancelled'), ('w2', 'cancelled'), ('w3', 'cancelled'), ('w4', 'cancelled'), ('w5', 'done')]" \
	"waiting tables were cancelled at their table_timeout; w5 done"
is "$(field par 'd["databases"][0]["peak_connections"]')" 4 "record: peak of 4 connections"
like "$(field par 't["w1"]["error"]')" "cancelled on the server after its table_timeout \\(4s\\)" "record says why"
ok "the cancelled statements are gone from pg_stat_activity within 2 s" no_backends_within 2
is "$(Q "select count(*) from pg_stat_user_tables where relname in ('w1','w2','w3','w4') and vacuum_count > 0")" 0 "psql: the locked tables were not vacuumed"
unlock

# ---- a server that takes fewer sessions than jobs ------------------------------
# The role may hold two sessions: the selection's and one worker of the
# three opened side by side. The work goes on over those two.
Q "create role lim login connection limit 2"
setup_sql "$(for i in 1 2 3 4 5 6; do printf 'create table l%s (i int); insert into l%s values (1); alter table l%s owner to lim;\n' "$i" "$i" "$i"; done)"
job lim 'dsn: "dbname=app user=lim", select: all, tables: ["l*"], jobs: 4'
run U run lim --ignore-window
is "$rc" 0 "jobs: 4 with room for two sessions succeeds" || diag "$out$err"
is "$(Q "select count(*) from pg_stat_user_tables where relname ~ '^l[0-9]$' and vacuum_count = 1")" 6 "psql: all six tables vacuumed"
is "$(field lim 'd["databases"][0]["peak_connections"]')" 2 "record: a peak of 2 connections"
is "$(grep -c 'too many connections for role "lim"' "$pglog")" 2 "server log: the two sessions over the limit were refused"

# ---- the numbers after: read once a table has ended, not before -------------
# When most of a database's tables are chosen (here all four of database
# "ends"), once no table is left to start the tables that ended are read
# while the last run (the end then reads only those). e1, the largest,
# waits for another session's lock, so the others end and are read
# first; e1's numbers must still be those after its VACUUM.
psql -qc "create database ends"
DB=ends setup_sql "$(for i in 1:2000 2:100 3:100 4:100; do printf 'create table e%s as select g as id, md5(g::text) as v from generate_series(1, %s) g;\n' "${i%:*}" "${i#*:}"; done)"
DB=ends setup_sql "update e1 set v = v || 1; update e2 set v = v || 1; update e3 set v = v || 1; update e4 set v = v || 1"
LOCK_HOLD=2 ok "another session locks e1 for 2 s" lock ends e1
job ends 'dsn: "dbname=ends", select: all, jobs: 2, skip_locked: false, lock_timeout: 30s'
run U run ends --ignore-window
is "$rc" 0 "the run succeeds" || diag "$out$err"
is "$(field ends '[(n, t[n]["status"], t[n]["before"]["dead_tuples"], t[n]["after"]["dead_tuples"]) for n in sorted(t)]')" \
	"[('e1', 'done', 2000, 0), ('e2', 'done', 100, 0), ('e3', 'done', 100, 0), ('e4', 'done', 100, 0)]" \
	"record: every table's dead tuples after its own VACUUM, e1's too (it ended last)"
ms=$(field ends 't["e1"]["duration_ms"]')
ok "e1 waited for the lock (its VACUUM took $ms ms), so it ended last" test "$ms" -ge 1000
wait "$locker"
is "$(DB=ends Q "select string_agg(relname || ':' || n_dead_tup, ',' order by relname) from pg_stat_user_tables where relname like 'e_'")" \
	"e1:0,e2:0,e3:0,e4:0" "psql: no dead tuples left in e1..e4"

# ---- SKIP_LOCKED: a locked table is skipped, not waited on ------------------
setup_sql "update t003 set v = v || 1; update t004 set v = v || 1; update t005 set v = v || 1"
ok "another session locks t004" lock app t004
job skip 'dsn: "dbname=app", tables: ["public.t00[345]"], threshold: 0, scale_factor: 0'
start=$SECONDS
run U run skip --ignore-window
is "$rc" 0 "a skipped table does not fail the run" || diag "$out$err"
ok "not waited on: the run took $((SECONDS - start)) s (< 4, lock_timeout is 5 s)" test $((SECONDS - start)) -lt 4
is "$(field skip '[(n, t[n]["status"]) for n in sorted(t)]')" "[('t003', 'done'), ('t004', 'skipped'), ('t005', 'done')]" "record: t004 skipped"
like "$(field skip 't["t004"]["error"]')" "locked by another session: skipped \\(SKIP_LOCKED\\)" "record says it was locked"
like "$(field skip 'r["steps"][0]["summary"]')" "^2 of 3 selected tables done \\(of [0-9]+ in 1 database\\), 1 skipped;" "summary counts it"
is "$(Q "select relname || ':' || vacuum_count from pg_stat_user_tables where relname in ('t003', 't004', 't005') order by 1" | paste -sd, -)" \
	"t003:2,t004:1,t005:2" "psql: t004 untouched, t003 and t005 vacuumed"
like "$err" "table public\\.t004: skipped: locked by another session" "the log names the table"

# ---- the step's deadline: cancelled on the server, the rest kept -----------
# Largest first over one connection: d1..d3 are done, then d4 (locked by
# another session) waits until the deadline, d5 and d6 are not reached.
setup_sql "$(for i in 1:1000 2:800 3:600 4:400 5:200 6:100; do printf 'create table d%s as select g as id, md5(g::text) as v from generate_series(1, %s) g;\n' "${i%:*}" "${i#*:}"; done)"
setup_sql "analyze d1, d2, d3, d4, d5, d6"
ok "another session locks d4" lock app d4
job deadline 'dsn: "dbname=app", select: all, tables: ["d?"], skip_locked: false, lock_timeout: 1m, timeout: 2s'
start=$(date +%s%N)
run U run deadline --ignore-window
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$rc" 1 "a timed-out step fails the run"
ok "the step kept to its 2 s timeout: the run took ${elapsed} ms (< 3500)" test "$elapsed" -lt 3500
is "$(field deadline 'r["steps"][0]["status"]')" "timed-out" "step status timed-out"
is "$(field deadline '[(x["table"], x["status"]) for x in d["databases"][0]["tables"]]')" \
	"[('d1', 'done'), ('d2', 'done'), ('d3', 'done'), ('d4', 'timed-out'), ('d5', 'not reached'), ('d6', 'not reached')]" \
	"record: largest first; done ones kept, d4 cancelled at the deadline, the rest not reached"
ok "the cancelled VACUUM is gone from pg_stat_activity within 2 s" no_backends_within 2
is "$(Q "select string_agg(relname, ',' order by relname) from pg_stat_user_tables where relname like 'd_' and vacuum_count > 0")" \
	"d1,d2,d3" "psql: exactly d1..d3 were vacuumed"
like "$(field deadline 'r["steps"][0]["summary"]')" "^3 of 6 selected tables done .*1 cancelled at the deadline, 2 not reached" "summary"
unlock

# ---- hostile names ------------------------------------------------------------
setup_sql "create schema \"My Schema\";
create table x (i int);
create table \"My Schema\".\"t\"\"; DROP TABLE x; --\" as select g from generate_series(1, 100) g;
create table \"My Schema\".\"with space\" as select g from generate_series(1, 100) g;
create table \"My Schema\".\"Ünïcödé\" as select g from generate_series(1, 100) g;
create table \"My Schema\".\"UPPER\" as select g from generate_series(1, 100) g;
create table \"My Schema\".\"semi;colon\" as select g from generate_series(1, 100) g;
create table \"My Schema\".\"it's\" as select g from generate_series(1, 100) g"
setup_sql "delete from \"My Schema\".\"t\"\"; DROP TABLE x; --\"; delete from \"My Schema\".\"with space\"; delete from \"My Schema\".\"Ünïcödé\"; delete from \"My Schema\".\"UPPER\"; delete from \"My Schema\".\"semi;colon\"; delete from \"My Schema\".\"it's\""
job hostile 'dsn: "dbname=app", tables: ["My Schema.*"], mode: vacuum'
run U plan hostile
like "$out" "\"My Schema\"\\.\"t\"\"; DROP TABLE x; --\": VACUUM" "the plan shows the names quoted"
run U run hostile --ignore-window
is "$rc" 0 "hostile names: the run succeeds" || diag "$out$err"
is "$(Q "select string_agg(relname, '|' order by relname) from pg_stat_user_tables where schemaname = 'My Schema' and vacuum_count = 1")" \
	"UPPER|it's|semi;colon|t\"; DROP TABLE x; --|with space|Ünïcödé" "psql: all six vacuumed"
is "$(Q "select count(*) from pg_tables where tablename = 'x'")" 1 "table x still exists"

# ---- a database dropped during the run -------------------------------------
psql -qc "create database hold" && psql -qc "create database gone"
DB=hold setup_sql "create table h (i int)"
ok "another session locks hold's table" lock hold h
job dbs 'dsn: "dbname=postgres", databases: [hold, gone], select: all, skip_locked: false, lock_timeout: 3s'
ok "upkeep waits for the lock in 'hold'" run_until_waiting dbs
ok "drop database 'gone' while upkeep waits in 'hold'" psql -qc "drop database gone"
wait "$upid"
is "$(field dbs 'r["steps"][0]["status"], [(db["name"], db["status"]) for db in d["databases"]]')" \
	"('failed', [('hold', 'done'), ('gone', 'failed')])" "record: hold processed, gone failed"
like "$(field dbs 'd["databases"][1]["error"]')" "database gone.*database \"gone\" does not exist; check the dsn, the password and that the database exists" "the error names the database and what to check"
like "$(field dbs 't["h"]["status"], t["h"]["error"]')" "skipped.*no lock within lock_timeout \\(3s\\)" "hold's locked table: lock_timeout"
unlock

# ---- the connection killed during the run (a restarted server) -------------
ok "another session locks t005" lock app t005
job killed 'dsn: "dbname=app", select: all, tables: ["t00[56]"], skip_locked: false, lock_timeout: 1m'
ok "upkeep waits for the lock on t005" run_until_waiting killed
psql -Atqc "select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'upkeep%' and wait_event_type = 'Lock'" >/dev/null
wait "$upid"
is "$(field killed 'r["steps"][0]["status"], t["t005"]["status"], t["t006"]["status"]')" \
	"('failed', 'failed', 'not reached')" "record: the table in flight failed, the next not reached"
like "$(field killed 't["t005"]["error"]')" "terminating connection due to administrator command" "the server's reason is kept"
like "$(field killed 'd["databases"][0]["error"]')" "lost the connection to database 'app'.*run the step again" "the database error says what to do"
unlock

# ---- the server restarted during the run ------------------------------------
# SIGKILL of one backend makes the postmaster end every session and
# reinitialize (crash recovery): a real restart of the server under upkeep,
# which the fixture's supervisor survives (the postmaster itself stays).
ok "another session locks t005 (restart)" lock app t005
job restarted 'dsn: "dbname=app", select: all, tables: ["t00[56]"], skip_locked: false, lock_timeout: 1m'
ok "upkeep waits for the lock on t005 (restart)" run_until_waiting restarted
victim=$(psql -Atqc "select pid from pg_stat_activity where application_name = 'locker'")
kill -9 "$victim"
wait "$upid"
wait "$locker" 2>/dev/null
for _ in $(seq 100); do pg_isready -q && psql -Atqc 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
like "$(cat "$pglog")" "all server processes terminated; reinitializing" \
	"the server really restarted (its log says it reinitialized)"
is "$(field restarted 'r["steps"][0]["status"], t["t006"]["status"]')" "('failed', 'not reached')" \
	"record: the step failed, the table after it was not reached"
like "$(field restarted 'd["databases"][0]["error"]')" "lost the connection to database 'app'.*run the step again" \
	"the error says the connection was lost and what to do"
job after_restart 'dsn: "dbname=app", select: all, tables: ["t00[56]"]'
U run after_restart --ignore-window >/dev/null 2>&1
is "$(field after_restart 'r["steps"][0]["status"]')" "ok" "the next run after the restart works"

# ---- progress on a terminal ----------------------------------------------
ok "another session locks w1" lock app w1
job tty 'dsn: "dbname=app", select: all, tables: [w1, w2], skip_locked: false, lock_timeout: 1m, table_timeout: 2s'
script -qec "'$UPKEEP' --config '$cfg' run tty --ignore-window" /dev/null >"$tmp/tty.out" 2>&1
# One progress line, log.c's: the step's detail follows its elapsed time.
like "$(tr '\r' '\n' <"$tmp/tty.out")" "▸ vac  [0-9. a-z]+ of [0-9a-z ]+  app: 0/2 tables done; now public\.w1" \
	"on a TTY: tables done / total and the current table, on the progress line"
unlock

# ---- the plan warns: FULL, and work that will not fit ----------------------
setup_sql "create table big as select g as id, md5(g::text) as v from generate_series(1, 1200000) g"
setup_sql "analyze big"
job fit 'dsn: "dbname=app", select: all, tables: [big], full: true, timeout: 1s'
run U plan fit
like "$out" "warning: full: true rewrites each table under an ACCESS EXCLUSIVE lock" "the plan warns about FULL"
like "$out" "warning: unlikely to fit: about [0-9.]+ s at a rough 64 MiB/s per connection, and the step has 1s" "the plan warns it will not fit"
is "$(Q "select vacuum_count from pg_stat_user_tables where relname = 'big'")" 0 "psql: the plan did not vacuum it"
job fit 'dsn: "dbname=app", select: all, tables: [w5], full: true, timeout: 1m'
run U plan fit
unlike "$out" "unlikely to fit" "a small table fits"
setup_sql "drop table big"

# ---- databases: all -----------------------------------------------------------
job alldbs 'dsn: "dbname=postgres", databases: all, select: all'
run U plan alldbs
is "$(grep -oE "^ +database '[a-z]+'" <<<"$out" | sed -E "s/.*'(.*)'/\1/" | paste -sd, -)" \
	"$(psql -Atqc "select string_agg(datname, ',' order by datname) from pg_database where datallowconn and not datistemplate")" \
	"databases: all plans every connectable database psql lists"

# ---- bad settings and an unreachable server ---------------------------------
job nodb 'dsn: "host=/nonexistent dbname=app password=hunter2", timeout: 10s'
run U run nodb --ignore-window
is "$rc" 1 "no server: the run fails"
like "$(field nodb 'r["steps"][0]["summary"]')" "cannot connect to PostgreSQL \\(.*host=/nonexistent.*\\): .*check the dsn" "the summary names the server and what to check"
ok "the password is in no report" sh -c "! grep -rq hunter2 '$cfg/reports'"
# A role that must give its password (scram) over the socket.
psql -qc "create role pwuser login password 'right-pw-4711'"
hba=$PG_DATA/pg_hba.conf
{ echo "local all pwuser scram-sha-256"; cat "$hba"; } >"$hba.new" && cat "$hba.new" >"$hba"
psql -Atqc "select pg_reload_conf()" >/dev/null
for _ in $(seq 50); do PGPASSWORD=nope psql -U pwuser -Atqc 'select 1' >/dev/null 2>&1 || break; sleep 0.1; done
job badpw 'dsn: "dbname=app user=pwuser password=wrong-pw-0815", timeout: 10s'
run U run badpw --ignore-window
is "$rc" 1 "a wrong password: the run fails"
like "$(field badpw 'r["steps"][0]["summary"]')" "cannot connect to PostgreSQL \\(.*user=pwuser.*\\): .*password authentication failed for user \"pwuser\"; check the dsn, the password" "the summary says the password was refused"
ok "the password is in no report, record or log" sh -c "! grep -rq wrong-pw-0815 '$cfg/reports' '$tmp/out' '$tmp/err'"
job badkey 'dsn: "dbname=app", mode: vaccum'
run U check
like "$err" "jobs/badkey.yaml:4:.*mode" "a bad mode is a config error with its position"
rm -f "$cfg/jobs/badkey.yaml"

done_testing
