#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/check-postgres.t - the `postgres` check kind run by the
# real binary (through `upkeep plan`, which runs a job's pre-checks and
# changes nothing) against the PostgreSQL fixture: connecting, the server
# version, query + expect (values and comparisons), a query that would
# write (refused: checks are read-only), a slow query cancelled on the
# server, a wrong password (never shown), no server, a connect that hangs,
# and bad settings. psql is the independent witness.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

pg_start

# A role that must give its password (scram) over the socket.
psql -qc "create role pwuser login password 'right-pw-4711'" ||
	bail_out "cannot create the role"
hba=$PG_DATA/pg_hba.conf
{ echo "local all pwuser scram-sha-256"; cat "$hba"; } >"$hba.new" && cat "$hba.new" >"$hba"
psql -Atqc "select pg_reload_conf()" >/dev/null
for _ in $(seq 50); do
	PGPASSWORD=nope psql -U pwuser -Atqc 'select 1' >/dev/null 2>&1 || break
	sleep 0.1
done
fails "set-up: pwuser needs its password now" env PGPASSWORD=nope psql -U pwuser -Atqc 'select 1'

# A TCP port that accepts connections and never answers.
"$PY" -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/mute.port" &
mute=$!
tap_at_exit stop_mute
stop_mute() { kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null; return 0; }
for _ in $(seq 50); do [ -s "$tmp/mute.port" ] && break; sleep 0.05; done
mute_port=$(cat "$tmp/mute.port")

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
line() { grep -E "^  (ok|FAILED) +$1 {2,}" <<<"$out"; }
version=$(psql -Atqc 'show server_version' | cut -d' ' -f1)

cat >"$cfg/jobs/good.yaml" <<YAML
job: good
windows: [w]
prechecks:
  - { name: connect, kind: postgres, dsn: "dbname=postgres" }
  - { name: one, kind: postgres, dsn: "dbname=postgres", query: "select 1", expect: "1" }
  - { name: backends, kind: postgres, dsn: "dbname=postgres", query: "select count(*) from pg_stat_activity", expect: "> 0" }
  - { name: setting, kind: postgres, dsn: "dbname=postgres", query: "show fsync", expect: "off" }
  - { name: no expect, kind: postgres, dsn: "dbname=postgres", query: "select 'hello'" }
  - { name: password, kind: postgres, dsn: "dbname=postgres user=pwuser password=right-pw-4711" }
steps:
  - { name: s, kind: command, run: ["true"] }
YAML
run U plan good --ignore-window
is "$rc" 0 "every postgres pre-check passes: plan exits 0" || diag "$out$err"
like "$(line connect)" "^  ok +connect +connected to PostgreSQL $version \\(database postgres\\) in [0-9.]+ m?s$" \
	"connect: the server version psql sees ($version)"
like "$(line one)" "^  ok +one +PostgreSQL $version: query gave '1', as expected: 1 in " "query + expect value"
like "$(line backends)" "^  ok +backends +PostgreSQL $version: query gave '[1-9][0-9]*', as expected: > 0 in " "expect a comparison"
like "$(line setting)" "^  ok +setting +.*query gave 'off', as expected: off" "expect a string"
like "$(line 'no expect')" "^  ok +no expect +.*query ran in .*, gave 'hello'$" "a query without expect passes when it runs"
like "$(line password)" "^  ok +password +connected to PostgreSQL" "the right password connects"

cat >"$cfg/jobs/bad.yaml" <<YAML
job: bad
windows: [w]
prechecks:
  - { name: too many, kind: postgres, dsn: "dbname=postgres", query: "select 5", expect: "<= 4" }
  - { name: not off, kind: postgres, dsn: "dbname=postgres", query: "show fsync", expect: "!= off" }
  - { name: no rows, kind: postgres, dsn: "dbname=postgres", query: "select 1 where false", expect: "1" }
  - { name: null value, kind: postgres, dsn: "dbname=postgres", query: "select null", expect: "!= 1" }
  - { name: bad sql, kind: postgres, dsn: "dbname=postgres", query: "select nope" }
  - { name: writes, kind: postgres, dsn: "dbname=postgres", query: "create table check_wrote (i int)" }
  - { name: slow, kind: postgres, dsn: "dbname=postgres", query: "select pg_sleep(30)", timeout: 1s }
  - { name: copy, kind: postgres, dsn: "dbname=postgres", query: "copy (select 1) to stdout", timeout: 3s }
  - { name: wrong pw, kind: postgres, dsn: "dbname=postgres user=pwuser password=wrong-pw-0815" }
  - { name: no server, kind: postgres, dsn: "host=/nonexistent dbname=postgres" }
  - { name: no db, kind: postgres, dsn: "dbname=nosuchdb" }
  - { name: mute, kind: postgres, dsn: "host=127.0.0.1 port=$mute_port dbname=postgres", connect_timeout: 2s, timeout: 10s }
steps:
  - { name: s, kind: command, run: ["true"] }
YAML
start=$(date +%s%N)
run U plan bad
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$rc" 3 "failed pre-checks: plan exits 3" || diag "$out$err"
like "$(line 'too many')" "FAILED +too many +PostgreSQL $version: query gave '5', expected <= 4 in " "a comparison that does not hold"
like "$(line 'not off')" "FAILED +not off +.*query gave 'off', expected != off" "a string comparison that does not hold"
like "$(line 'no rows')" "FAILED +no rows +.*the query returned no rows \\(expected 1\\)$" "no rows"
like "$(line "null value")" "FAILED +null value +.*query gave 'NULL', expected != 1" "NULL never passes"
like "$(line 'bad sql')" "FAILED +bad sql +.*query failed: ERROR: +column \"nope\" does not exist" "the server's error"
like "$(line writes)" "FAILED +writes +.*query failed: ERROR: +cannot execute CREATE TABLE in a read-only transaction" "a query that writes is refused"
is "$(psql -Atqc "select count(*) from pg_class where relname = 'check_wrote'")" 0 "psql: nothing was created"
like "$(line slow)" "FAILED +slow +.*query failed: no answer from the server at $PGHOST:$PGPORT within the 1s timeout: the statement was cancelled and the connection closed$" "a slow query times out, saying what happened"
is "$(psql -Atqc "select count(*) from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()")" 0 \
	"psql: the slow query is not running on the server any more"
like "$(line copy)" "FAILED +copy +.*query failed: COPY is not supported here: use a query that returns rows" "a COPY is refused at once (it used to spin past its deadline)"
like "$(line 'wrong pw')" "FAILED +wrong pw +cannot connect to PostgreSQL \\(.*user=pwuser.*\\): .*password authentication failed for user \"pwuser\"" "a wrong password"
unlike "$out$err" "wrong-pw-0815|right-pw-4711" "no password is shown"
like "$(line 'no server')" "FAILED +no server +cannot connect to PostgreSQL \\(.*host=/nonexistent.*\\): .*No such file or directory" "no server"
like "$(line 'no db')" "FAILED +no db +cannot connect to PostgreSQL .*database \"nosuchdb\" does not exist" "no such database"
like "$(line mute)" "FAILED +mute +cannot connect to PostgreSQL \\(.*port=$mute_port.*\\): the server at 127\\.0\\.0\\.1:$mute_port accepted the connection and stopped answering; after the 2s timeout the connection was closed$" "a server that never answers: connect_timeout, and what happened"
ok "the timeouts held: the plan took ${elapsed} ms (< 8000)" test "$elapsed" -lt 8000

# ---- bad settings ------------------------------------------------------------
cat >"$cfg/jobs/bad.yaml" <<YAML
job: bad
windows: [w]
prechecks:
  - { name: a, kind: postgres, dsn: "dbname=postgres", query: "select 1", expect: "< many" }
  - { name: b, kind: postgres, dsn: "dbname=postgres", expect: "1" }
  - { name: c, kind: postgres, dsn: "dbname=postgres", query: "" }
  - { name: d, kind: postgres, query: "select 1" }
steps:
  - { name: s, kind: command, run: ["true"] }
YAML
run U check
is "$rc" 2 "bad settings: a config error"
like "$err" "jobs/bad.yaml:4:[0-9]+: bad 'expect' value '< many': an ordering comparison needs a number" "an ordering comparison needs a number"
like "$err" "jobs/bad.yaml:5:[0-9]+: 'expect' needs a 'query'" "expect needs a query"
like "$err" "jobs/bad.yaml:6:[0-9]+: 'query' must not be empty" "an empty query"
like "$err" "jobs/bad.yaml:7:[0-9]+: .*dsn" "dsn is required"

done_testing
