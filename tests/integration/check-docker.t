#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/check-docker.t - the `docker` check kind through
# `upkeep plan` (which runs a job's pre-checks and changes nothing).
#
# Against the real Podman service: a created (never started: this VM's
# crun cannot start containers) container is "not running", a missing one
# is named, and podman's CLI agrees on the state. Running and healthy
# containers need an engine that can run them, so those answers come from
# the HTTP fixture standing in for an engine over tcp:// (DOCKER_HOST),
# with the shapes Docker's GET /containers/NAME/json gives; the same
# fixture gives garbage, a hung engine and an HTTP 500. What the fixture
# recorded proves the pinned API version is in every URL.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

podman_start
http_start

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
# line NAME: the plan's line for the pre-check NAME.
line() { grep -E "^  (ok|FAILED) +$1 {2,}" <<<"$out"; }
# checks YAML_LINE...: a job whose pre-checks are these flow mappings.
checks() {
	{
		printf 'job: c\nwindows: [w]\nprechecks:\n'
		printf '  - %s\n' "$@"
		printf 'steps:\n  - { name: s, kind: command, run: ["true"] }\n'
	} >"$cfg/jobs/c.yaml"
}

# ---- the real engine ---------------------------------------------------------
mkdir -p "$UPKEEP_TEST_TMP/img"
echo hi >"$UPKEEP_TEST_TMP/img/hello"
tar -C "$UPKEEP_TEST_TMP/img" -cf "$UPKEEP_TEST_TMP/img.tar" hello
podman_cli import --quiet --change 'CMD ["/hello"]' "$UPKEEP_TEST_TMP/img.tar" localhost/t/c:1 >/dev/null
podman_cli create --name web localhost/t/c:1 >/dev/null
is "$(podman_cli inspect web --format '{{.State.Status}}')" "created" "podman: 'web' is created, not running"

checks "{ name: web up, kind: docker, container: web }" \
	"{ name: web healthy, kind: docker, container: web, state: healthy }" \
	"{ name: ghost, kind: docker, container: ghost }" \
	"{ name: by socket, kind: docker, container: web, socket: $PODMAN_SOCK }"
run U plan c
is "$rc" 3 "failing docker pre-checks: plan exits 3" || diag "$out$err"
like "$(line 'web up')" "FAILED +web up +container 'web' is not running: created$" \
	"a created container is not running (what podman says)"
like "$(line 'web healthy')" "FAILED +web healthy +container 'web' is not running: created$" \
	"nor healthy"
like "$(line ghost)" "FAILED +ghost +no container 'ghost' on Podman [0-9.]+$" "a missing container is named"
like "$(line 'by socket')" "FAILED +by socket +container 'web' is not running" "socket: is used"

checks "{ name: nowhere, kind: docker, container: web, socket: $UPKEEP_TEST_TMP/none.sock }"
run U plan c
like "$(line nowhere)" "no Docker engine socket at '$UPKEEP_TEST_TMP/none.sock': start the engine" \
	"a missing socket says what to do"

# ---- a scripted engine over tcp:// -------------------------------------------
fake=tcp://${HTTP_FIXTURE#http://}
http_set /version 200 '{"ApiVersion": "1.47", "MinAPIVersion": "1.24", "Version": "27.3.1", "Components": [{"Name": "Engine", "Version": "27.3.1"}]}'
http_set /v1.45/containers/api/json 200 '{"Id": "a1", "Name": "/api", "State": {"Status": "running", "Running": true, "ExitCode": 0, "Health": {"Status": "healthy", "FailingStreak": 0}}}'
http_set /v1.45/containers/worker/json 200 '{"Id": "b2", "Name": "/worker", "State": {"Status": "running", "Running": true, "ExitCode": 0}}'
http_set /v1.45/containers/db/json 200 '{"Id": "c3", "Name": "/db", "State": {"Status": "running", "Running": true, "Health": {"Status": "unhealthy", "FailingStreak": 3}}}'
http_set /v1.45/containers/old/json 200 '{"Id": "d4", "Name": "/old", "State": {"Status": "exited", "Running": false, "ExitCode": 137}}'
http_set /v1.45/containers/gone/json 404 '{"message": "No such container: gone"}'
http_set /v1.45/containers/junk/json 200 '{"State": {"Running": tru'
http_set /v1.45/containers/boom/json 500 '{"message": "layer store is broken"}'
http_set /v1.45/containers/slow/json 200 '{}' 5

checks "{ name: api running, kind: docker, container: api }" \
	"{ name: api healthy, kind: docker, container: api, state: healthy }" \
	"{ name: worker running, kind: docker, container: worker }"
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan c --ignore-window
is "$rc" 0 "running and healthy pass: plan exits 0" || diag "$out$err"
like "$(line 'api running')" "ok +api running +container 'api' is running$" "running"
like "$(line 'api healthy')" "ok +api healthy +container 'api' is running and healthy$" "healthy"

checks "{ name: worker healthy, kind: docker, container: worker, state: healthy }" \
	"{ name: db healthy, kind: docker, container: db, state: healthy }" \
	"{ name: old, kind: docker, container: old }" \
	"{ name: gone, kind: docker, container: gone }" \
	"{ name: junk, kind: docker, container: junk }" \
	"{ name: boom, kind: docker, container: boom }" \
	"{ name: slow, kind: docker, container: slow, timeout: 1s }"
start=$(date +%s%N)
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan c --ignore-window
ms=$((($(date +%s%N) - start) / 1000000))
is "$rc" 3 "failing checks: plan exits 3"
like "$(line 'worker healthy')" "FAILED +worker healthy +container 'worker' is running but has no health check" \
	"healthy without a HEALTHCHECK says so"
like "$(line 'db healthy')" "FAILED +db healthy +container 'db' is running but unhealthy$" "unhealthy"
like "$(line old)" "FAILED +old +container 'old' is not running: exited \\(code 137\\)$" "exited, with its code"
like "$(line gone)" "FAILED +gone +no container 'gone' on Docker Engine 27\\.3\\.1$" "404: no such container"
like "$(line junk)" "FAILED +junk +GET /v1\\.45/containers/junk/json: the engine's answer is not JSON" "garbage JSON is named"
like "$(line boom)" "FAILED +boom +GET /v1\\.45/containers/boom/json: HTTP 500: layer store is broken$" \
	"an HTTP 500 carries the engine's message"
like "$(line slow)" "FAILED +slow +GET /v1\\.45/containers/slow/json: no answer from $fake within the time allowed \\(1s\\)" \
	"a hung engine: the check's timeout ends it"
cmp_ok "$ms" -lt 5000 "the hung check did not wait for the 5 s answer (took $ms ms)"

paths=$(http_requests | "$PY" -c 'import json, sys; print("\n".join(sorted(set(r["path"] for r in json.load(sys.stdin)))))')
is "$(grep -v -E '^/(_ping|version)$' <<<"$paths" | grep -v -c '^/v1\.45/')" 0 \
	"every request after /_ping and /version pins API 1.45 (min of the engine's 1.47 and upkeep's)"

# An engine whose /_ping headers name an API version upkeep speaks and the
# engine: pinned from them, with no GET /version (Podman answers that one
# slowly); a Docker 1.47 above (the case before) still asks /version,
# whose MinAPIVersion matters then.
http_reset
http_route '{"path": "/_ping", "status": 200, "body": "OK", "headers": {"Api-Version": "1.44", "Server": "Docker/25.0.3 (linux)"}}'
http_set /version 200 '{"ApiVersion": "1.44", "Version": "999.0.0"}'
http_set /v1.44/containers/api/json 200 '{"Id": "a1", "Name": "/api", "State": {"Status": "running", "Running": true}}'
http_set /v1.44/containers/gone/json 404 '{"message": "No such container: gone"}'
checks "{ name: api, kind: docker, container: api }" "{ name: gone, kind: docker, container: gone }"
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan c --ignore-window
like "$(line api)" "ok +api +container 'api' is running$" "pinned from /_ping's headers: API 1.44 in the URL"
like "$(line gone)" "FAILED +gone +no container 'gone' on Docker Engine 25\\.0\\.3$" \
	"the engine named from /_ping's Server header"
paths=$(http_requests | "$PY" -c 'import json, sys; print("\n".join(r["path"] for r in json.load(sys.stdin)))')
is "$(grep -c '^/version$' <<<"$paths")" 0 "no GET /version when /_ping's headers say it all"
# Headers naming no engine (a proxy's Server): /version decides, as before.
http_route '{"path": "/_ping", "status": 200, "body": "OK", "headers": {"Api-Version": "1.44", "Server": "nginx"}}'
http_set /version 200 '{"ApiVersion": "1.44", "Version": "25.0.9", "Components": [{"Name": "Engine"}]}'
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan c --ignore-window
like "$(line gone)" "FAILED +gone +no container 'gone' on Docker Engine 25\\.0\\.9$" \
	"a Server header naming no engine: /version is asked"

# An engine too old to talk to, and a server that is no engine.
http_route '{"path": "/_ping", "status": 200, "body": "OK", "headers": {}}'
http_set /version 200 '{"ApiVersion": "1.19", "Version": "1.7.1"}'
checks "{ name: api, kind: docker, container: api }"
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan c --ignore-window
like "$(line api)" "speaks API 1\\.19; upkeep needs 1\\.25 or newer" "an engine too old is refused, clearly"
http_set /version 200 '{"hello": "world"}'
run env DOCKER_HOST="$fake" "$UPKEEP" --config "$cfg" plan c --ignore-window
like "$(line api)" "did not say its API version \\(no ApiVersion\\): is it a Docker engine\\?" "not an engine"

done_testing
