#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/docker-exec.t - a program run inside a container
# through the Engine API (runner/docker_exec.c) and the dump of a
# containerised PostgreSQL through it (runner/steps/snapshot_exec.c),
# driven by bench/tools/docker_exec (built here when missing).
#
# On the Podman service with real running containers: stdout streamed
# whole (a binary of 2 MB, byte for byte), stderr and the exit code, a
# missing program (127), a stopped or missing container; a deadline that
# kills the program inside the container, its children too (the host's
# /proc agrees).  The dump: pg_dump -Fc in the container streamed to a
# file on the host, its sha256 what sha256sum says, restored by the
# HOST's pg_restore into the host's own PostgreSQL with its rows, nothing
# left in the container's /tmp; pg_dump held on a lock: the deadline
# stops it in the container (pg_stat_activity agrees) and leaves no file;
# the container killed mid-dump: a clear failure, no file.  A scripted
# engine over tcp:// for what Podman cannot show: exec not supported, a
# stream that is not multiplexed, a program that cannot be stopped
# because the engine is not on this machine (its pid is never signalled).
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"

podman_start
podman_base_image
podman_pg_start db
pg_start
http_start

# ---- the driver ---------------------------------------------------------------
build=$(dirname "$UPKEEP")
TOOL=${DOCKER_EXEC_TOOL:-$build/bench/tools/docker_exec}
if [ ! -x "$TOOL" ] || [ "$TOOL" -ot "$repo/runner/docker_exec.c" ]; then
	san=
	ldd "$UPKEEP" 2>/dev/null | grep -q libasan && san=address,undefined
	make -C "$repo" --no-print-directory BUILD="$(realpath -m --relative-to="$repo" "$build")" \
		${san:+SANITIZE=$san} "$(realpath -m --relative-to="$repo" "$TOOL")" >"$tmp/make.out" 2>&1 ||
		bail_out "cannot build $TOOL: $(tail -5 "$tmp/make.out")"
fi
X() { "$TOOL" "$@"; }
P() { podman_cli "$@"; }
# host_procs PATTERN: the host's processes whose command line is PATTERN.
host_procs() { pgrep -fx "$1" || true; }

P run -d --name plain "$BASE_IMAGE" sleep 600 >/dev/null
P create --name made "$BASE_IMAGE" sleep 600 >/dev/null

# ---- a program in a container ---------------------------------------------------
run X exec plain echo hello from inside
is "$rc" 0 "exec echo: exit 0"
is "$out" "hello from inside" "its stdout, streamed"
like "$err" "exit=0 pid=[0-9]+ stopped=0 out=18" "the engine said its exit code"

run X exec plain sh -c 'echo to-out; echo to-err >&2; echo more-err >&2; exit 3'
is "$rc" 3 "a program exiting 3: its code"
is "$out" "to-out" "stdout alone on stdout (demultiplexed)"
like "$err" "error: 'sh' in container 'plain' exited with 3: more-err" "the message: its code and last stderr line"

X exec plain cat /bin/busybox >"$tmp/bb" 2>/dev/null
is "$?" 0 "a 2 MB binary through the stream"
is "$(sha256sum <"$tmp/bb" | cut -d' ' -f1)" "$(sha256sum </bin/busybox | cut -d' ' -f1)" \
	"byte for byte (sha256sum of both)"

run X exec plain /no/such/program
isnt "$rc" 0 "a missing program fails"
like "$err" "cannot run '/no/such/program' in container 'plain' \\(exit 12[67]" "said: cannot run it, exit 126/127"

run X -u nobody exec plain id -u
is "$out" 65534 "User: the exec runs as nobody"

run X exec made true
is "$rc" 125 "a container that is not running: not run"
like "$err" "container 'made' is not running \\(created\\).*start it" "said, with what to do"

run X exec ghost true
like "$err" "no container 'ghost' on the engine at unix://.*docker ps -a" "no such container: said"

# ---- the deadline kills the program inside the container -----------------------
start=$SECONDS
run X -t 1500 exec plain sleep 301
is "$rc" 124 "sleep 301 with 1.5 s: timed out"
like "$err" "'sleep' in container 'plain' ran out of time .*: stopped it" "said: ran out of time, stopped it"
like "$err" "stopped=1" "the result says it was stopped"
ok "within a generous bound ($((SECONDS - start)) s < 20 s)" test $((SECONDS - start)) -lt 20
sleep 0.5
is "$(host_procs 'sleep 301')" "" "no 'sleep 301' left on the host"
unlike "$(P top plain args 2>&1)" "sleep 301" "nor in podman top"

run X -t 1500 exec plain sh -c 'sleep 302; echo never'
is "$rc" 124 "a shell and its child: timed out"
sleep 0.5
is "$(host_procs 'sleep 302')" "" "its child sleep is gone too"
is "$(host_procs "sh -c sleep 302; echo never")" "" "and the shell"
unlike "$out" never "the shell did not go on"

# ---- pg_dump inside the container ------------------------------------------------
psql_c() { "$PG_BINDIR/psql" -h "$PG_CONTAINER_SOCK" -p 5432 -U app -d postgres -XAtq "$@"; }
psql_c -c 'create table t (n int primary key, s text); insert into t select g, md5(g::text) from generate_series(1, 5000) g'
BIN=/usr/lib/postgresql/15/bin
start=$SECONDS
run X dump db postgres app /sock "$BIN" "$tmp/db.dump"
is "$rc" 0 "dump of the containerised database" || diag "$err"
read -r sum size ver dump_ms verify_ms <<<"$out"
diag "dump ${dump_ms} ms, verify ${verify_ms} ms, ${size} bytes, $((SECONDS - start)) s in all"
is "$sum" "$(sha256sum "$tmp/db.dump" | cut -d' ' -f1)" "its sha256 is sha256sum's"
is "$size" "$(stat -c %s "$tmp/db.dump")" "its size is the file's"
like "$ver" '^15\.' "pg_dump's version from the archive header"
is "$(ls "$tmp" | grep -c 'db\.dump\.')" 0 "no .partial or .fifo left"
ok "the host's pg_restore lists it" "$PG_BINDIR/pg_restore" --list "$tmp/db.dump"
"$PG_BINDIR/createdb" r
ok "restored by the host's pg_restore into the host's server" \
	"$PG_BINDIR/pg_restore" --no-owner -d r "$tmp/db.dump"
is "$("$PG_BINDIR/psql" -XAtq -d r -c 'select count(*), sum(n) from t')" "5000|12502500" \
	"with every row"
is "$(P exec db sh -c 'ls /tmp | grep -c upkeep-verify')" 0 "the verification's copy is gone from the container's /tmp"

# pg_dump waits on a lock: the deadline stops it inside the container.  The
# server drops a lost client's session within 100 ms, even one waiting on a
# lock (client_connection_check_interval), so pg_stat_activity can tell.
psql_c -c "alter system set client_connection_check_interval = '100ms'" -c 'select pg_reload_conf()' >/dev/null
lock_sql="begin; lock table t in access exclusive mode; select pg_sleep(600);"
"$PG_BINDIR/psql" -h "$PG_CONTAINER_SOCK" -p 5432 -U app -d postgres -Xq -c "$lock_sql" >/dev/null 2>&1 &
locker=$!
sleep 0.5
start=$SECONDS
run X -t 3000 dump db postgres app /sock "$BIN" "$tmp/held.dump"
is "$rc" 124 "pg_dump held on a lock, 3 s: timed out"
like "$err" "pg_dump of 'postgres' in container 'db': .*ran out of time.*stopped it" "said" || diag "$err"
diag "held: $(grep ^error "$tmp/err")"
ok "within a generous bound ($((SECONDS - start)) s < 25 s)" test $((SECONDS - start)) -lt 25
is "$(ls "$tmp" | grep -c held)" 0 "no file, no .partial, no .fifo"
dumpers() { psql_c -c "select count(*) from pg_stat_activity where application_name = 'pg_dump'"; }
for _ in $(seq 50); do [ "$(dumpers)" = 0 ] && break; sleep 0.1; done
is "$(dumpers)" 0 "pg_dump's session is gone (pg_stat_activity)"
is "$(host_procs "$BIN/pg_dump --format=custom --no-password --username app --host /sock --dbname=postgres")" "" \
	"no pg_dump process left on the host"

# The container killed while pg_dump waits.
X -t 30000 dump db postgres app /sock "$BIN" "$tmp/cut.dump" >"$tmp/k.out" 2>"$tmp/k.err" &
dumper=$!
for _ in $(seq 100); do
	[ "$(dumpers 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
P kill db >/dev/null
wait "$dumper"
rc=$?
kill "$locker" 2>/dev/null
isnt "$rc" 0 "the container killed mid-dump: the dump fails"
isnt "$rc" 124 "not as a timeout"
like "$(cat "$tmp/k.err")" "pg_dump of 'postgres' in container 'db': .*(not running|killed|did not finish)" "said: the container stopped"
diag "cut: $(grep ^error "$tmp/k.err")"
is "$(ls "$tmp" | grep -c cut)" 0 "no file, no .partial, no .fifo"

# ---- a scripted engine over tcp:// ---------------------------------------------------
fake=tcp://${HTTP_FIXTURE#http://}
http_route '{"path": "/_ping", "status": 200, "body": "OK", "headers": {"Api-Version": "1.44", "Server": "Docker/25.0.3 (linux)"}}'
http_set /v1.44/containers/old/json 200 '{"Id": "a1", "State": {"Status": "running", "Running": true, "Pid": 1}}'
http_set /v1.44/containers/old/exec 404 '{"message": "page not found"}'
run env DOCKER_HOST="$fake" "$TOOL" exec old true
like "$err" "exec is not supported by the engine at $fake \\(Docker Engine 25\\.0\\.3\\): POST /v1\\.44/containers/old/exec: HTTP 404" \
	"an engine without exec: said"

http_set /v1.44/containers/raw/json 200 '{"Id": "b2", "State": {"Status": "running", "Running": true, "Pid": 1}}'
http_set /v1.44/containers/raw/exec 201 '{"Id": "abc1"}'
http_set /v1.44/exec/abc1/start 200 'plain text, no frame headers'
http_set /v1.44/exec/abc1/json 200 '{"Running": false, "ExitCode": 0, "Pid": 1}'
run env DOCKER_HOST="$fake" "$TOOL" exec raw true
like "$err" "answered something that is not a multiplexed stream" "a stream without frames: said"

# A remote engine's pid is never signalled here (1 would be this machine's init).
http_set /v1.44/containers/far/json 200 '{"Id": "c3", "State": {"Status": "running", "Running": true, "Pid": 1}}'
http_set /v1.44/containers/far/exec 201 '{"Id": "abc2"}'
http_set /v1.44/exec/abc2/start 200 '' 5
http_set /v1.44/exec/abc2/json 200 '{"Running": true, "ExitCode": null, "Pid": 1}'
run env DOCKER_HOST="$fake" "$TOOL" -t 1000 exec far sleep 9
is "$rc" 124 "a remote engine's exec past the deadline: timed out"
like "$err" "'sleep' may still run in container 'far': the engine at $fake is not on this machine" \
	"said: it may still run there"

done_testing
