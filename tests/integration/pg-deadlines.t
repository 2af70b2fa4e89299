#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/pg-deadlines.t - every PostgreSQL call of upkeep has a
# deadline, whatever the server does (issue 15, items 4, 5 and 11):
#
#  - a fake server (tests/lib/pg_silent.py) that completes the startup
#    handshake and then never answers, on a unix socket and on TCP: the
#    postgres check, the vacuum, snapshot and patch-check steps each end
#    within timeout + kill_grace + 1 s and say what happened;
#  - the real server's postmaster SIGSTOPped (existing sessions go on, new
#    connections and cancel requests hang) during a VACUUM that waits for
#    a lock, during a check's query, and before a snapshot: the same bound;
#  - the server-side guards: upkeep's sessions carry "upkeep/<run-id>" in
#    pg_stat_activity and set statement_timeout and friends (the server's
#    own log, log_statement = all, is the witness); after kill -9 of upkeep
#    during a VACUUM the statement does not go on, and crash recovery
#    (the vacuum kind's recover hook) ends whatever session still carries
#    the dead run's id;
#  - a password in a dsn libpq cannot parse is in no output, record or
#    report.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

pg_start "log_statement = 'all'" "log_line_prefix = '%m [%p] app=%a '"
pglog=$UPKEEP_TEST_TMP/pg/postgres.log
postmaster=$(head -1 "$PG_DATA/postmaster.pid")
stopped=
pg_freeze() { kill -STOP "$postmaster" && stopped=1; }
pg_thaw() { [ -z "$stopped" ] || kill -CONT "$postmaster"; stopped=; return 0; }
tap_at_exit pg_thaw

GRACE=2
# Upkeep calls that would hang forever (the old code) are killed at 60 s so
# that the test ends and fails instead.
HANG=60
cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
printf 'kill_grace: %ss\n' "$GRACE" >"$cfg/upkeep.yaml"
U() { timeout -s KILL "$HANG" "$UPKEEP" --config "$cfg" "$@"; }
# timed CMD...: run CMD like run, and $ms its wall time.
timed() {
	local t0=${EPOCHREALTIME/./}
	run "$@"
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
}
# within TIMEOUT_S WHAT: the last timed call took at most TIMEOUT + grace + 1 s.
within() {
	local limit=$((($1 + GRACE + 1) * 1000))
	ok "$2 ended in ${ms} ms (at most ${limit}: timeout $1 s + grace $GRACE s + 1 s)" test "$ms" -le "$limit"
}
# step_job NAME TIMEOUT STEP-BODY: a job with one step.
step_job() {
	printf 'job: %s\nwindows: [w]\nsteps:\n  - { name: s, timeout: %s, %s }\n' \
		"$1" "$2" "$3" >"$cfg/jobs/$1.yaml"
}
# check_job NAME CHECK-BODY: a job whose pre-check is CHECK-BODY.
check_job() {
	printf 'job: %s\nwindows: [w]\nprechecks:\n  - { name: c, %s }\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' \
		"$1" "$2" >"$cfg/jobs/$1.yaml"
}
# rec JOB EXPR: EXPR of r (JOB's newest record) and s (its first step).
rec() {
	local f
	f=$(ls -t "$cfg"/reports/runs/*/*.json 2>/dev/null | grep -F -- "-$1-" | head -1)
	[ -n "$f" ] || { echo "(no record of $1)"; return; }
	"$PY" -c 'import json, sys
r = json.load(open(sys.argv[2])); s = (r.get("steps") or [{}])[0]
d = s.get("details") or {}
print(eval(sys.argv[1]))' "$2" "$f"
}
Q() { psql -X -v ON_ERROR_STOP=1 -d "${DB:-app}" -Atqc "$1"; }
setup_sql() { psql -X -v ON_ERROR_STOP=1 -d "${DB:-app}" -q -c "$1" >/dev/null; }

Q "select 1" >/dev/null 2>&1 || psql -X -qc "create database app"
setup_sql "create table big as select g as id, md5(g::text) as v from generate_series(1, 2000) g"
setup_sql "create table other as select g as id from generate_series(1, 10) g"

# lock TABLE: another session holds an ACCESS EXCLUSIVE lock on TABLE
# until unlock; waits until it is granted.
lock() {
	PGAPPNAME=locker psql -X -d app -qc "begin; lock table $1 in access exclusive mode; select pg_sleep(300)" >/dev/null 2>&1 &
	locker=$!
	for _ in $(seq 100); do
		[ "$(Q "select count(*) from pg_locks l join pg_stat_activity a using (pid) where a.application_name = 'locker' and l.mode = 'AccessExclusiveLock' and l.granted")" -ge 1 ] && return 0
		sleep 0.05
	done
	return 1
}
unlock() {
	Q "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'locker'" >/dev/null
	wait "$locker" 2>/dev/null
	return 0
}
# wait_for SQL: until SQL (a count) is at least 1, 5 s at most.
wait_for() {
	for _ in $(seq 100); do
		[ "$(Q "$1")" -ge 1 ] 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ---- a fake server that completes the handshake, then never answers -------
silent_dir=$tmp/silent
mkdir -p "$silent_dir"
"$PY" "$UPKEEP_TEST_LIB/pg_silent.py" --unix "$silent_dir" --port 5432 \
	--ready "$tmp/silent.ready" 2>"$tmp/silent.log" &
silent_pid=$!
"$PY" "$UPKEEP_TEST_LIB/pg_silent.py" --tcp --ready "$tmp/silent-tcp.ready" \
	2>"$tmp/silent-tcp.log" &
silent_tcp_pid=$!
stop_silent() { kill "$silent_pid" "$silent_tcp_pid" 2>/dev/null; wait "$silent_pid" "$silent_tcp_pid" 2>/dev/null; return 0; }
tap_at_exit stop_silent
for _ in $(seq 100); do [ -s "$tmp/silent.ready" ] && [ -s "$tmp/silent-tcp.ready" ] && break; sleep 0.05; done
tcp_port=$(cat "$tmp/silent-tcp.ready")
ok "set-up: the fake server says it completed a handshake" \
	sh -c "! timeout 2 psql -X -h '$silent_dir' -p 5432 -d app -Atc 'select 1' >/dev/null 2>&1; grep -q 'startup packet' '$tmp/silent.log'"
silent="host=$silent_dir port=5432 dbname=app user=postgres"
silent_tcp="host=127.0.0.1 port=$tcp_port dbname=app user=postgres sslmode=disable"
hung="the server at $silent_dir:5432 accepted the connection and stopped answering; after the 3s timeout the connection was closed"

check_job silent_check "kind: postgres, dsn: \"$silent\", query: \"select 1\", timeout: 3s"
timed U plan silent_check --ignore-window
within 3 "fake server: the postgres check"
like "$out" "FAILED +c +cannot connect to PostgreSQL \\(.*\\): $hung" "fake server: the check says what happened"

step_job silent_vacuum 3s "kind: vacuum, dsn: \"$silent\""
timed U run silent_vacuum --ignore-window
within 3 "fake server: the vacuum step"
is "$(rec silent_vacuum 's["status"]')" "failed" "fake server: the vacuum step failed"
like "$(rec silent_vacuum 's["summary"]')" "cannot connect to PostgreSQL \\(.*\\): $hung" "fake server: the vacuum summary says what happened"

step_job silent_snapshot 3s "kind: snapshot, metrics: false, postgres: [\"$silent\"]"
timed U run silent_snapshot --ignore-window
within 3 "fake server: the snapshot step"
is "$(rec silent_snapshot 's["status"]')" "failed" "fake server: the snapshot step failed"
like "$(rec silent_snapshot 's["summary"]')" "$hung" "fake server: the snapshot summary says what happened"

step_job silent_patch 3s "kind: patch-check, apt: false, postgres: \"$silent_tcp\""
timed U run silent_patch --ignore-window
within 3 "fake server (TCP): the patch-check step's PostgreSQL probe"
like "$(rec silent_patch '[f["text"] for f in d["findings"] if f["source"] == "postgres"]')" \
	"the server at 127\\.0\\.0\\.1:$tcp_port accepted the connection and stopped answering; after the 3s timeout the connection was closed" \
	"fake server (TCP): the probe's finding says what happened"

# The same server over TCP for a vacuum with a longer connect: a query
# that never gets its answer, not the handshake.
step_job silent_vacuum_tcp 4s "kind: vacuum, dsn: \"$silent_tcp\""
timed U run silent_vacuum_tcp --ignore-window
within 4 "fake server (TCP): the vacuum step"
like "$(rec silent_vacuum_tcp 's["summary"]')" "the server at 127\\.0\\.0\\.1:$tcp_port accepted the connection and stopped answering; after the 4s timeout" \
	"fake server (TCP): the vacuum summary says what happened"

# ---- the server-side guards ---------------------------------------------------
ok "lock big (guards)" lock big
step_job guards 30s 'kind: vacuum, dsn: "dbname=app", select: all, tables: [big], skip_locked: false, lock_timeout: 1m'
# Not through U: kill -9 must reach upkeep itself, not timeout(1).
"$UPKEEP" --config "$cfg" run guards --ignore-window >"$tmp/guards.out" 2>&1 &
upid=$!
ok "upkeep's VACUUM waits for the lock" wait_for "select count(*) from pg_stat_activity where application_name like 'upkeep/%' and wait_event_type = 'Lock'"
app=$(Q "select application_name from pg_stat_activity where application_name like 'upkeep/%' and wait_event_type = 'Lock'")
like "$app" '^upkeep/[0-9]{8}T[0-9]{6}Z-guards-[0-9a-f]{4}$' "pg_stat_activity: the session carries the run id ($app)"
# The server's own log: what the session set (log_statement = all).
set_line=$(grep -F "app=$app " "$pglog" | grep -F 'SET statement_timeout' | tail -1)
st=$(sed -nE 's/.*SET statement_timeout = ([0-9]+);.*/\1/p' <<<"$set_line")
ok "the server's log: the session set statement_timeout ($st ms): past the step's 30 s, not past it by more than the slack" \
	test "${st:-0}" -ge 29000 -a "${st:-0}" -le 32000
like "$set_line" "SET idle_in_transaction_session_timeout = $st; SET idle_session_timeout = $st; SET client_connection_check_interval = 1000" \
	"the server's log: idle timeouts and the client check too"

# ---- kill -9 during the VACUUM: the statement does not go on ----------------
kill -9 "$upid"
wait "$upid" 2>/dev/null
# Something that stands for a client of the dead run still connected (a
# process that escaped, a proxy): recovery must end it; one busy, one idle.
PGAPPNAME=$app psql -X -d app -Atc "select pg_sleep(120)" >"$tmp/impostor.out" 2>&1 &
busy=$!
mkfifo "$tmp/idle.fifo"
PGAPPNAME=$app psql -X -d app -q <"$tmp/idle.fifo" >/dev/null 2>&1 &
idle=$!
exec 7>"$tmp/idle.fifo"	# held open: psql waits, idle, until it closes
ok "the dead run's stand-ins are connected" wait_for "select (count(*) >= 2)::int from pg_stat_activity where application_name = '$app' and query not like 'VACUUM%'"
# The killed run's own VACUUM ends by itself: the server checks its client.
gone_within() {
	local end=$((SECONDS + $2))
	while [ "$(Q "$1")" != 0 ]; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}
ok "the VACUUM of the killed upkeep is gone from pg_stat_activity within 5 s (client_connection_check_interval)" \
	gone_within "select count(*) from pg_stat_activity where application_name = '$app' and query like 'VACUUM%'" 5
# Any upkeep command recovers the dead run; the vacuum kind's hook ends
# what carries its id.
run timeout -s KILL "$HANG" "$UPKEEP" --config "$cfg" status
ok "after recovery, no session carries the dead run's id within 3 s" \
	gone_within "select count(*) from pg_stat_activity where application_name = '$app'" 3
like "$(cat "$tmp/impostor.out")" "canceling statement due to user request" "recovery cancelled the busy statement (pg_cancel_backend)"
like "$err" "ended 2 sessions run ${app#upkeep/} left on the server" "recovery says what it ended"
exec 7>&-
wait "$busy" "$idle" 2>/dev/null
unlock
like "$(rec guards '(r["status"], r["interrupted_step"])')" "('interrupted', 's')" "the killed run's record names the vacuum step in flight"

# ---- Ctrl-C (SIGINT) during a VACUUM that waits for a lock ---------------------
ok "lock big (Ctrl-C)" lock big
step_job sigint 10m 'kind: vacuum, dsn: "dbname=app", select: all, tables: [big], skip_locked: false, lock_timeout: 5m'
"$UPKEEP" --config "$cfg" run sigint --ignore-window >"$tmp/sigint.out" 2>&1 &
upid=$!
ok "upkeep's VACUUM waits for the lock (Ctrl-C)" wait_for "select count(*) from pg_stat_activity where application_name like 'upkeep/%sigint%' and wait_event_type = 'Lock'"
t0=$SECONDS
kill -INT "$upid"
wait "$upid"
is "$?" 130 "Ctrl-C during a VACUUM: exit 130"
cmp_ok "$((SECONDS - t0))" -le 4 "it stopped within the grace (not the 5m lock_timeout)"
is "$(rec sigint '(r["status"], r["signal"], s["status"])')" "('interrupted', 'SIGINT', 'interrupted')" "the record: interrupted by SIGINT, the vacuum step interrupted"
ok "no session of the run is left on the server" gone_within "select count(*) from pg_stat_activity where application_name like 'upkeep/%sigint%'" 3
unlock

# ---- a SIGSTOPped postmaster ------------------------------------------------------
# During a VACUUM that waits for a lock: the deadline's cancel request
# goes to the postmaster, which never takes it.
ok "lock big (stopped postmaster)" lock big
step_job frozen_vacuum 6s 'kind: vacuum, dsn: "dbname=app", select: all, tables: [big, other], skip_locked: false, lock_timeout: 1m'
t0=${EPOCHREALTIME/./}
U run frozen_vacuum --ignore-window >"$tmp/frozen.out" 2>&1 &
upid=$!
ok "upkeep's VACUUM waits for the lock (stopped postmaster)" wait_for "select count(*) from pg_stat_activity where application_name like 'upkeep/%frozen_vacuum%' and wait_event_type = 'Lock'"
pg_freeze
wait "$upid"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
pg_thaw
within 6 "stopped postmaster: the vacuum step"
is "$(rec frozen_vacuum 's["status"]')" "timed-out" "stopped postmaster: the vacuum step timed out"
like "$(rec frozen_vacuum '[t["error"] for t in d["databases"][0]["tables"] if t["table"] == "big"][0]')" \
	"the server at $PGHOST:$PGPORT did not take the cancel request in time; after the 6s timeout the connection was closed" \
	"stopped postmaster: the table's error says what happened"
unlock

# During a check's query.
check_job frozen_check 'kind: postgres, dsn: "dbname=app", query: "select pg_sleep(30)", timeout: 4s'
t0=${EPOCHREALTIME/./}
U plan frozen_check --ignore-window >"$tmp/frozen-check.out" 2>&1 &
upid=$!
ok "the check's query runs (stopped postmaster)" wait_for "select count(*) from pg_stat_activity where query = 'select pg_sleep(30)'"
pg_freeze
wait "$upid"
ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
pg_thaw
within 4 "stopped postmaster: the postgres check"
like "$(cat "$tmp/frozen-check.out")" "FAILED +c +PostgreSQL [0-9.]+: query failed: the server at $PGHOST:$PGPORT stopped answering; after the 4s timeout the connection was closed" \
	"stopped postmaster: the check says what happened"

# Before a snapshot: connecting hangs (the socket's backlog accepts it).
step_job frozen_snapshot 4s 'kind: snapshot, metrics: false, postgres: ["dbname=app"]'
pg_freeze
timed U run frozen_snapshot --ignore-window
pg_thaw
within 4 "stopped postmaster: the snapshot step"
like "$(rec frozen_snapshot 's["summary"]')" "the server at $PGHOST:$PGPORT accepted the connection and stopped answering; after the 4s timeout the connection was closed" \
	"stopped postmaster: the snapshot summary says what happened"
ok "the server answers again" Q "select 1"

# ---- a password in a dsn libpq cannot parse ---------------------------------------
# A '%' that is no escape, an unbalanced '[' and an unterminated quote.
step_job leak_pct 10s "kind: vacuum, dsn: \"postgresql://app_owner:My%Pct-Kk9-SECRET@/app?host=$PGHOST\""
step_job leak_v6 10s 'kind: vacuum, dsn: "postgresql://app_owner:Br4ck3t-SECRET@[::1/app"'
step_job leak_quote 10s "kind: vacuum, dsn: \"host=$PGHOST password='Qu0te-SECRET dbname=app\""
check_job leak_check "kind: postgres, dsn: \"postgresql://app_owner:Ch3ck%zz-SECRET@/app?host=$PGHOST\""
printf 'job: leak_snap\nwindows: [w]\nsteps:\n  - { name: s, kind: snapshot, timeout: 10s, metrics: false, postgres: ["postgresql://app_owner:Sn4p%%qq-SECRET@/app?host=%s"] }\n' \
	"$PGHOST" >"$cfg/jobs/leak_snap.yaml"
all_out=
for j in leak_pct leak_v6 leak_quote leak_snap; do
	run U run "$j" --ignore-window
	all_out+="$out$err"
	is "$rc" 1 "unparsable dsn ($j): the run fails"
done
run U plan leak_check --ignore-window
all_out+="$out$err"
like "$(rec leak_pct 's["summary"]')" 'cannot connect to PostgreSQL: cannot parse the connection string: invalid percent-encoded token: "<redacted>"; check its syntax' \
	"the message says what is wrong, without the password"
unlike "$(rec leak_pct 's["summary"]')" '\(\(' "and without double parentheses"
like "$(rec leak_v6 's["summary"]')" 'cannot parse the connection string: .*"<redacted>"' "an unbalanced '[': the dsn is redacted"
run U report --week this
is "$rc" 0 "the week's report was built (it is searched below)"
all_out+="$out$err"
unlike "$all_out" "SECRET|Kk9|Br4ck3t|Qu0te|Ch3ck|Sn4p" "no password on stdout or stderr"
ok "no password in any record, Markdown report or weekly report" sh -c "! grep -rIE 'SECRET|Kk9|Br4ck3t|Qu0te|Ch3ck|Sn4p' '$cfg/reports'"
ok "the records are there to be searched" sh -c "ls '$cfg'/reports/runs/*/*leak_pct*.json '$cfg'/reports/runs/*/*leak_pct*.md >/dev/null"

done_testing
