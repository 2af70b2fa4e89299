#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/fixture-containers.t - the running-container fixtures
# themselves (tests/lib/containers.sh, podman_stop in servers.sh).
#
# Proves that a container of the busybox base image really runs (`podman
# exec` answers, with the ulimits of the fixture's containers.conf), that
# the containerised PostgreSQL answers psql on the host through its socket
# volume and runs pg_dump inside the container, that the real
# docker-compose brings a tiny project up and down through the fixture's
# Docker API, and that podman_stop leaves no process and no cgroup of any
# container behind.  Not a test of upkeep itself.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"

podman_start
podman_base_image
podman_pg_start db

# ---- a plain container --------------------------------------------------------
# sleep as the container's PID 1 ignores SIGTERM: the hard case for teardown.
ok "podman run -d: a busybox container starts" podman_cli run -d --name plain "$BASE_IMAGE" sleep 300
is "$(podman_cli inspect --format '{{.State.Status}}' plain)" running "podman says it is running"
is "$(podman_cli exec plain echo hello from inside)" "hello from inside" "podman exec echoes"
is "$(podman_cli exec plain sh -c 'ulimit -n; ulimit -u')" $'1024\n1000' \
	"the containers.conf ulimits apply (nofile 1024, nproc 1000)"
state=$(curl -sS --max-time 10 --unix-socket "$PODMAN_SOCK" http://d/v1.41/containers/plain/json |
	"$UPKEEP_PYTHON" -c 'import json, sys; s = json.load(sys.stdin)["State"]; print(s["Status"], s["Running"])')
is "$state" "running True" "the Docker API agrees"
pid=$(podman_cli inspect --format '{{.State.Pid}}' plain)
ok "its init is a real process on the host (pid $pid)" test -d "/proc/$pid"

# ---- PostgreSQL in a container ------------------------------------------------
is "$PG_CONTAINER" db "PG_CONTAINER names it"
ok "its socket is on the host, in the socket volume" test -S "$PG_CONTAINER_SOCK/.s.PGSQL.5432"
psql_c() { "$PG_BINDIR/psql" -h "$PG_CONTAINER_SOCK" -U app -d postgres -XAtq "$@"; }
is "$(psql_c -c 'select current_user')" app "psql from the host answers, as the superuser app"
ok "a table written from the host" psql_c -c 'create table t (n int); insert into t select generate_series(1, 42)'
like "$(podman_cli exec db id -un)" '^postgres$' "the server runs as postgres in the container"
dump=$(podman_cli exec db /usr/lib/postgresql/15/bin/pg_dump -h /sock -U app -t t postgres)
like "$dump" "CREATE TABLE public\\.t" "pg_dump runs inside the container (podman exec)"
like "$dump" "COPY public\\.t \\(n\\) FROM stdin" "and dumps the rows the host wrote"
ok "the cluster's files are in the data volume on the host" test -f "$PG_CONTAINER_DATA/d/PG_VERSION"

# ---- docker-compose against the fixture's API --------------------------------
proj=$UPKEEP_TEST_TMP/proj
mkdir -p "$proj"
cat >"$proj/docker-compose.yml" <<EOF
version: "3"
services:
  app:
    image: $BASE_IMAGE
    command: ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"]
    network_mode: host
EOF
run_compose() { (cd "$proj" && compose_cli "$@") >"$UPKEEP_TEST_TMP/compose.out" 2>&1; }
ok "docker-compose up -d" run_compose up -d || diag "$(cat "$UPKEEP_TEST_TMP/compose.out")"
is "$(podman_cli inspect --format '{{.State.Status}}' proj_app_1)" running "podman sees the service running"
is "$(podman_cli inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' proj_app_1)" proj \
	"with compose's project label"
ok "docker-compose ps" run_compose ps
like "$(cat "$UPKEEP_TEST_TMP/compose.out")" "proj_app_1 .* Up" "lists it up"
ok "docker-compose down" run_compose down || diag "$(cat "$UPKEEP_TEST_TMP/compose.out")"
is "$(podman_cli ps -a --format '{{.Names}}' --filter name=proj_)" "" "the service's container is gone"

# ---- teardown -------------------------------------------------------------------
cids=$(podman_cli ps -aq --no-trunc)
is "$(wc -w <<<"$cids")" 2 "two containers left for podman_stop (plain, db)"
pgpid=$(podman_cli inspect --format '{{.State.Pid}}' db)
podman_stop
ok "the plain container's process is gone" test ! -d "/proc/$pid"
ok "PostgreSQL's is gone" test ! -d "/proc/$pgpid"
is "$(procs_mentioning "$UPKEEP_TEST_TMP")" "" "no conmon, podman or other process mentions the temp dir"
left=""
for p in /proc/[0-9]*; do
	read -r -d '' cg 2>/dev/null <"$p/cgroup"
	for id in $cids; do [[ $cg == *"libpod-$id"* ]] && left+=" ${p#/proc/}"; done
done
is "$left" "" "no process is left in a container's cgroup"
is "$(for id in $cids; do ls -d /sys/fs/cgroup/*/libpod_parent/libpod-"$id" 2>/dev/null; done)" "" \
	"no container cgroup is left on the host"

done_testing
