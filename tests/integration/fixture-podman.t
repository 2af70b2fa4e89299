#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/fixture-podman.t - the Podman Docker-API fixture itself.
#
# Proves that podman_start (tests/lib/servers.sh) runs `podman system
# service` on a unix socket in the test's temp dir with a store of its own,
# that the Docker-compatible API (curl) and the podman CLI ("${PODMAN[@]}",
# and a bare `podman` through the exported CONTAINERS_* files) see the same
# images and containers, and that podman_stop leaves no socket and no
# process behind.  Containers are created, never started: this VM's crun
# cannot start them.  Not a test of upkeep itself.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"

# json EXPR - evaluate a Python expression over the JSON on stdin (as `d`).
json() {
	"$UPKEEP_PYTHON" -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}
api() { curl -sS --max-time 20 --unix-socket "$PODMAN_SOCK" "$@"; }

podman_start

is "$DOCKER_HOST" "unix://$UPKEEP_TEST_TMP/podman/podman.sock" "DOCKER_HOST is the socket in the temp dir"
is "$(api http://d/_ping)" "OK" "GET /_ping says OK"
version=$(api http://d/version)
is "$(json 'd["Components"][0]["Name"]' <<<"$version")" "Podman Engine" "GET /version is Podman's"
like "$(json 'd["ApiVersion"]' <<<"$version")" '^1\.[0-9]+$' "with a Docker API version"
is "$(api http://d/images/json)" "[]" "the isolated store starts empty"

# A tiny image from a tarball of one static file (nothing to run, nothing
# to download).
mkdir -p "$UPKEEP_TEST_TMP/image"
echo "upkeep podman fixture" >"$UPKEEP_TEST_TMP/image/hello.txt"
tar -C "$UPKEEP_TEST_TMP/image" -cf "$UPKEEP_TEST_TMP/image.tar" hello.txt
ok "podman import (CLI) a tarball as localhost/upkeep/tiny:1" \
	"${PODMAN[@]}" import --change 'CMD ["/hello.txt"]' "$UPKEEP_TEST_TMP/image.tar" localhost/upkeep/tiny:1
images=$(api http://d/images/json)
is "$(json '[t for i in d for t in i["RepoTags"]]' <<<"$images")" '["localhost/upkeep/tiny:1"]' \
	"the API lists the image the CLI imported"
is "$(json 'd[0]["Id"]' <<<"$images")" "$("${PODMAN[@]}" images --no-trunc --format '{{.ID}}')" \
	"with the same id as the CLI"
is "$(podman images --format '{{.Repository}}:{{.Tag}}')" "localhost/upkeep/tiny:1" \
	"a bare podman (exported CONTAINERS_* files) sees the same store"

created=$(api -X POST -H 'Content-Type: application/json' \
	-d '{"Image": "localhost/upkeep/tiny:1", "Labels": {"upkeep.test": "fixture"}}' \
	'http://d/containers/create?name=upkeep-fixture-c1')
like "$(json 'd["Id"]' <<<"$created")" '^[0-9a-f]{64}$' "create a container through the API"
is "$("${PODMAN[@]}" ps -a --format '{{.Names}} {{.Labels}}')" "upkeep-fixture-c1 map[upkeep.test:fixture]" \
	"the CLI sees it, with its label"
is "$(api http://d/system/df | json '[len(d["Images"]), len(d["Containers"])]')" "[1, 1]" \
	"GET /system/df counts them"
is "$(api -o /dev/null -w '%{http_code}' -X DELETE 'http://d/containers/upkeep-fixture-c1?force=1')" 204 \
	"remove the container through the API"
is "$("${PODMAN[@]}" ps -a --format '{{.Names}}')" "" "the CLI sees it gone"
ok "locks are files in the temp dir, not the host's shared memory segment" \
	test -d "$UPKEEP_TEST_TMP/podman/tmp/locks"

podman_stop

api -o /dev/null http://d/_ping 2>/dev/null
rc=$?
ok "after podman_stop the socket does not answer (curl exit $rc)" test "$rc" -ne 0
is "$(procs_mentioning "$UPKEEP_TEST_TMP/podman")" "" "no podman, conmon or other process of ours remains"
ok "podman_stop is idempotent" podman_stop

done_testing
