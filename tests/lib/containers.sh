# shellcheck shell=bash
# tests/lib/containers.sh - running containers on the Podman fixture.
#
# What it is for: images that need no registry (a busybox base, a
# PostgreSQL built from the host's own binaries), a containerised
# PostgreSQL reachable through a socket on a volume, and the real
# docker-compose pointed at the fixture's Docker API - the production
# stack of issue 16, on this machine (see shared/REAL-PEERS.md).  What it
# is not for: starting or stopping the Podman service (servers.sh's
# podman_start and podman_stop; podman_stop removes every container and
# kills whatever of theirs is left), or anything reaching a registry.
#
# servers.sh sources it; its header lists the functions.  Each one starts
# the Podman fixture first when it is not running yet.

[ -n "${_CONTAINERS_SH_LOADED:-}" ] && return 0
_CONTAINERS_SH_LOADED=1

# _containers_api METHOD PATH [JSON] - one Docker API call on the fixture's
# socket; prints the body, fails on an HTTP error (the body goes to stderr).
_containers_api() {
	local out code
	out=$(curl -sS --max-time 60 --unix-socket "$PODMAN_SOCK" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} \
		-w '\n%{http_code}' "http://d$2") || return 1
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	if [ "${code:0:1}" != 2 ]; then
		printf 'HTTP %s from %s %s: %s\n' "$code" "$1" "$2" "$out" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

# _containers_import DIR REF CHANGE... - tar DIR and `podman import` it.
_containers_import() {
	local dir=$1 ref=$2 change args=()
	shift 2
	for change in "$@"; do args+=(--change "$change"); done
	if ! tar -C "$dir" -cf "$dir.tar" . ||
		! podman_cli import --quiet "${args[@]}" "$dir.tar" "$ref" >/dev/null; then
		_fixture_fail "containers fixture: cannot import $dir as $ref"
	fi
	rm -f "$dir.tar"
}

# podman_base_image - a busybox image (busybox-static and a symlink for each
# of its applets), imported once per test as localhost/upkeep/base:1.
podman_base_image() {
	local dir=$UPKEEP_TEST_TMP/images/base applet
	BASE_IMAGE=localhost/upkeep/base:1
	export BASE_IMAGE
	podman_start
	[ -e "$dir.done" ] && return 0
	_server_require containers "busybox-static" /bin/busybox
	# A dynamic busybox (Debian's busybox package) cannot run in an empty
	# root: say so rather than fail obscurely at the first `podman run`.
	/bin/busybox --list 2>/dev/null | grep -qx sh ||
		_fixture_fail "containers fixture: /bin/busybox lists no applets"
	mkdir -p "$dir/bin" "$dir/tmp" "$dir/etc"
	chmod 1777 "$dir/tmp"
	cp /bin/busybox "$dir/bin/busybox"
	while read -r applet; do
		[ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
	done < <(/bin/busybox --list)
	ln -s bin "$dir/sbin"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
	_containers_import "$dir" "$BASE_IMAGE" 'CMD ["/bin/sh"]' 'ENV PATH=/bin'
	touch "$dir.done"
}

# podman_pg_image - an image of only /etc/passwd and /etc/group (root and
# the host's postgres uid and gid), lib, lib64, bin and sbin pointing into
# /usr and an empty /tmp: run with the host's /usr mounted it is the
# host's PostgreSQL, so no postgres image (and no registry) is needed.
# Imported once per test as localhost/upkeep/pgbase:15.
podman_pg_image() {
	local dir=$UPKEEP_TEST_TMP/images/pg uid gid
	PG_IMAGE=localhost/upkeep/pgbase:15
	export PG_IMAGE
	podman_start
	[ -e "$dir.done" ] && return 0
	if ! uid=$(id -u postgres 2>/dev/null) || ! gid=$(id -g postgres); then
		_fixture_fail "containers fixture: no 'postgres' user on the host (it comes with postgresql-15)"
	fi
	mkdir -p "$dir/etc" "$dir/tmp" "$dir/usr"
	chmod 1777 "$dir/tmp"
	ln -s usr/lib "$dir/lib"
	ln -s usr/lib64 "$dir/lib64"
	ln -s usr/bin "$dir/bin"
	ln -s usr/sbin "$dir/sbin"
	printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:%s:%s:PostgreSQL:/tmp:/bin/sh\n' \
		"$uid" "$gid" >"$dir/etc/passwd"
	printf 'root:x:0:\npostgres:x:%s:\n' "$gid" >"$dir/etc/group"
	_containers_import "$dir" "$PG_IMAGE" 'CMD ["/bin/sh"]'
	touch "$dir.done"
}

# _containers_pg_ready NAME SOCKDIR - the container runs and its server
# answers on SOCKDIR: 0; the container is gone or stopped: 1; else 2.
_containers_pg_ready() {
	"$PG_BINDIR/pg_isready" -q -h "$2" -U app -d postgres && return 0
	[ "$(podman_cli inspect --format '{{.State.Running}}' "$1" 2>/dev/null)" = true ] || return 1
	return 2
}

# podman_pg_start NAME - PostgreSQL 15 in container NAME, started through
# the Docker API (so its conmon stays under the service's supervisor):
# the host's /usr read-only, a data volume and a socket volume under
# $UPKEEP_TEST_TMP/containers/NAME, --user postgres, a trust cluster whose
# superuser is `app`, no TCP.  Exports PG_CONTAINER=NAME, PG_CONTAINER_SOCK
# (the socket volume's host directory: psql -h "$PG_CONTAINER_SOCK" -U app
# -d postgres) and PG_CONTAINER_DATA; inside the container the socket
# directory is /sock and the cluster /data/d.
podman_pg_start() {
	local name=$1 dir body rc deadline
	local bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
	_server_require containers "postgresql-15" "$bindir/initdb" "$bindir/postgres" \
		"$bindir/pg_isready"
	PG_BINDIR=$bindir
	podman_pg_image
	dir=$UPKEEP_TEST_TMP/containers/$name
	_server_sock_ok containers "$dir/sock/.s.PGSQL.5432"
	mkdir -p "$dir/data" "$dir/sock"
	chown postgres: "$dir/data" "$dir/sock" 2>/dev/null ||
		_fixture_fail "containers fixture: cannot give $dir to the postgres user (run the tests as root)"
	chmod 0755 "$dir" "$dir/sock"
	body=$("$UPKEEP_PYTHON" -c 'import json, sys
bindir, data, sock, image = sys.argv[1:]
script = (bindir + "/initdb -D /data/d -A trust -U app --no-sync >/data/initdb.log 2>&1 && "
          "exec " + bindir + "/postgres -D /data/d -k /sock -c listen_addresses= "
          "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
print(json.dumps({"Image": image, "User": "postgres", "Cmd": ["/bin/sh", "-c", script],
                  "Labels": {"upkeep.test": "postgres"},
                  "HostConfig": {"NetworkMode": "host",
                                 "Binds": ["/usr:/usr:ro", data + ":/data", sock + ":/sock"]}}))' \
		"$bindir" "$dir/data" "$dir/sock" "$PG_IMAGE") || _fixture_fail "containers fixture: $UPKEEP_PYTHON failed"
	if ! _containers_api POST "/containers/create?name=$name" "$body" >"$dir/create.json" 2>&1 ||
		! _containers_api POST "/containers/$name/start" >>"$dir/create.json" 2>&1; then
		_fixture_fail "containers fixture: cannot start container $name" "$dir/create.json"
	fi
	export PG_CONTAINER=$name PG_CONTAINER_SOCK=$dir/sock PG_CONTAINER_DATA=$dir/data
	deadline=$((SECONDS + UPKEEP_SERVER_TIMEOUT))
	while :; do
		_containers_pg_ready "$name" "$dir/sock" && return 0
		rc=$?
		if [ "$rc" -eq 1 ]; then
			podman_cli logs "$name" >"$dir/container.log" 2>&1
			cat "$dir/data/initdb.log" >>"$dir/container.log" 2>/dev/null
			_fixture_fail "containers fixture: container $name stopped before PostgreSQL answered on $dir/sock" \
				"$dir/container.log"
		fi
		[ "$SECONDS" -lt "$deadline" ] || _fixture_fail \
			"containers fixture: PostgreSQL in $name did not answer on $dir/sock within ${UPKEEP_SERVER_TIMEOUT}s"
		sleep 0.1
	done
}

# podman_pg_stop NAME - stop and remove container NAME (its volumes' host
# directories stay until the temp dir goes).
podman_pg_stop() {
	podman_cli rm --force --time 10 "$1" >/dev/null 2>&1 ||
		diag "containers fixture: cannot remove container $1"
}

# compose_cli ARGS... - Debian's docker-compose (1.29) against the fixture's
# Docker API: DOCKER_HOST is its socket.  Run it in the project directory or
# pass --project-directory / -f.
compose_cli() {
	_server_require compose "docker-compose" docker-compose
	podman_start
	DOCKER_HOST=unix://$PODMAN_SOCK COMPOSE_INTERACTIVE_NO_CLI=1 docker-compose "$@"
}
