#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/check-docker.t - the `docker` check kind through
# `upkeep plan` (which runs a job's pre-checks and changes nothing).
#
# Against real running containers on the Podman service (runc, see
# tests/lib/containers.sh): a running one passes with its uptime; a
# created one, an exited one (with its code) and a missing one fail, named;
# health checks that pass, fail (with what they said) and have not run
# yet; a container that restarted (its restart policy, RestartCount) over
# max_restarts; min_uptime.  The podman CLI agrees on each state.  Then
# the HTTP fixture stands in for an engine over tcp:// (DOCKER_HOST) for
# what Podman cannot show: garbage, a hung engine, an HTTP 500, API
# version pinning (what it recorded proves the version is in every URL).
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
podman_base_image
P() { podman_cli "$@"; }
insp() { P inspect --format "$2" "$1"; }
# Health checks run when the test says (podman healthcheck run), not on a
# timer: no systemd units, no races.
hc=(--health-interval disable --health-retries 1)
P run -d --name web "$BASE_IMAGE" sleep 300 >/dev/null
P create --name made "$BASE_IMAGE" sleep 300 >/dev/null
P run -d --name quit "$BASE_IMAGE" sh -c 'exit 3' >/dev/null
P run -d --name good "${hc[@]}" --health-cmd 'true' "$BASE_IMAGE" sleep 300 >/dev/null
P run -d --name bad "${hc[@]}" --health-cmd 'echo db is down; exit 1' "$BASE_IMAGE" sleep 300 >/dev/null
P run -d --name fresh "${hc[@]}" --health-cmd 'true' "$BASE_IMAGE" sleep 300 >/dev/null
# Fails twice (its filesystem keeps the count across restarts), then runs.
P run -d --name flaky --restart on-failure:5 "$BASE_IMAGE" \
	sh -c 'echo x >>/n; [ "$(wc -l </n)" -ge 3 ] || exit 1; exec sleep 300' >/dev/null
P healthcheck run good >/dev/null
P healthcheck run bad >/dev/null
P wait quit >/dev/null
for _ in $(seq 100); do
	[ "$(insp flaky '{{.RestartCount}} {{.State.Status}}')" = "2 running" ] && break
	sleep 0.1
done
is "$(insp web '{{.State.Status}}')" running "podman: 'web' is running"
is "$(insp made '{{.State.Status}}')" created "podman: 'made' is created, not running"
is "$(insp quit '{{.State.Status}} {{.State.ExitCode}}')" "exited 3" "podman: 'quit' exited with 3"
is "$(insp good '{{.State.Health.Status}}') $(insp bad '{{.State.Health.Status}}') $(insp fresh '{{.State.Health.Status}}')" \
	"healthy unhealthy starting" "podman: 'good' healthy, 'bad' unhealthy, 'fresh' starting"
is "$(insp flaky '{{.RestartCount}} {{.State.Status}}')" "2 running" "podman: 'flaky' restarted twice and runs"

checks "{ name: web up, kind: docker, container: web }" \
	"{ name: good healthy, kind: docker, container: good, state: healthy }" \
	"{ name: flaky 2, kind: docker, container: flaky, max_restarts: 2 }" \
	"{ name: web 1s, kind: docker, container: web, min_uptime: 1s, max_restarts: 0 }" \
	"{ name: by socket, kind: docker, container: web, socket: $PODMAN_SOCK }"
sleep 1 # web has been up a second at least
run U plan c --ignore-window
is "$rc" 0 "running containers pass: plan exits 0" || diag "$out$err"
like "$(line 'web up')" "ok +web up +container 'web' is running, up [0-9]+ s$" "running, with its uptime"
like "$(line 'good healthy')" "ok +good healthy +container 'good' is running and healthy, up " \
	"healthy by its own health check"
like "$(line 'flaky 2')" "ok +flaky 2 +container 'flaky' is running, up .*, 2 restarts$" \
	"restarts within max_restarts pass, counted"
like "$(line 'web 1s')" "ok +web 1s +container 'web' is running, up .*, 0 restarts$" "up longer than min_uptime"
like "$(line 'by socket')" "ok +by socket +container 'web' is running" "socket: is used"
# The uptime is the engine's: StartedAt to now, as podman says it.
started=$(date -d "$(insp web '{{.State.StartedAt}}' | sed 's/ [A-Z]*$//')" +%s)
up=$(sed -E 's/.* up ([0-9]+) s.*/\1/' <<<"$(line 'web up')")
cmp_ok "$((up - ($(date +%s) - started)))" -le 1 "the uptime is StartedAt to now (upkeep $up s)"
cmp_ok "$((up - ($(date +%s) - started)))" -ge -3 "not less"

checks "{ name: made, kind: docker, container: made }" \
	"{ name: made healthy, kind: docker, container: made, state: healthy }" \
	"{ name: quit, kind: docker, container: quit }" \
	"{ name: ghost, kind: docker, container: ghost }" \
	"{ name: bad, kind: docker, container: bad, state: healthy }" \
	"{ name: fresh, kind: docker, container: fresh, state: healthy }" \
	"{ name: web healthy, kind: docker, container: web, state: healthy }" \
	"{ name: flaky 1, kind: docker, container: flaky, max_restarts: 1 }" \
	"{ name: web 1h, kind: docker, container: web, min_uptime: 1h }"
run U plan c --ignore-window
is "$rc" 3 "failing docker pre-checks: plan exits 3" || diag "$out$err"
like "$(line made)" "FAILED +made +container 'made' is not running: created$" \
	"a created container is not running (what podman says)"
like "$(line 'made healthy')" "FAILED +made healthy +container 'made' is not running: created$" "nor healthy"
like "$(line quit)" "FAILED +quit +container 'quit' is not running: exited \\(code 3\\)$" \
	"an exited container is named, with its exit code"
like "$(line ghost)" "FAILED +ghost +no container 'ghost' on Podman [0-9.]+$" "a missing container is named"
like "$(line bad)" "FAILED +bad +container 'bad' is running but unhealthy \\(1 failed health check in a row\\): db is down$" \
	"a failing health check: unhealthy, with what it said"
like "$(line fresh)" "FAILED +fresh +container 'fresh' is running but its health check has not passed yet \\(starting\\)$" \
	"a health check that has not run yet"
like "$(line 'web healthy')" "FAILED +web healthy +container 'web' is running but has no health check" \
	"healthy without a health check says so"
like "$(line 'flaky 1')" "FAILED +flaky 1 +container 'flaky' has restarted 2 times, more than max_restarts 1" \
	"more restarts than max_restarts"
like "$(line 'web 1h')" "FAILED +web 1h +container 'web' has been up only [0-9]+ s, less than min_uptime 1h: it started or restarted recently$" \
	"up less than min_uptime"

P stop --time 0 web >/dev/null 2>&1
checks "{ name: web up, kind: docker, container: web }"
run U plan c
like "$(line 'web up')" "FAILED +web up +container 'web' is not running: exited \\(code [0-9]+\\)$" \
	"stopped: the same check now fails, naming it"
is "$(insp web '{{.State.Running}}')" false "podman agrees it is stopped"

checks "{ name: bad key, kind: docker, container: web, max_restarts: -1 }"
run U plan c
like "$out$err" "'max_restarts' must be between 0 and 1000000, not -1" "a negative max_restarts is refused"
checks "{ name: bad key, kind: docker, container: web, min_uptime: 10 }"
run U plan c
like "$out$err" "min_uptime" "a min_uptime without a unit is refused"

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
like "$(line 'db healthy')" "FAILED +db healthy +container 'db' is running but unhealthy \\(3 failed health checks in a row\\)$" \
	"unhealthy, with its failing streak"
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
