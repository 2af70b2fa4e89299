#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/fixture-http.t - the HTTP fixture itself.
#
# Proves that http_start (tests/lib/servers.sh) runs tests/lib/http_fixture.py
# on 127.0.0.1, that it answers 200 "ok" by default, that a route set with
# http_set/http_route changes status, body, headers and latency, that it
# records what a client (here: curl, standing in for upkeep's webhooks)
# sent, and that http_stop closes the port.  Not a test of upkeep itself.
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

http_start

like "$HTTP_FIXTURE" '^http://127\.0\.0\.1:[0-9]+$' "HTTP_FIXTURE is a loopback URL"
is "$(curl -s -w ' %{http_code}' "$HTTP_FIXTURE/any/path?x=1")" "ok
 200" "any path answers 200 \"ok\" by default"

ok "http_set /health 503 down 1.5" http_set /health 503 down 1.5
out=$(curl -s -w '\n%{http_code} %{time_total}' "$HTTP_FIXTURE/health")
read -r status seconds <<<"$(tail -n 1 <<<"$out")"
is "$(head -n 1 <<<"$out")" "down" "the route's body"
is "$status" 503 "the route's status"
ok "the route's delay: took ${seconds}s, want 1.5s..5s" \
	awk -v t="$seconds" 'BEGIN { exit !(t >= 1.45 && t < 5) }'
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$HTTP_FIXTURE/health")" 503 \
	"the route applies to every method"
is "$(curl -s "$HTTP_FIXTURE/other")" "ok" "other paths keep the default"

ok "http_route with headers" http_route \
	'{"path": "/hdr", "status": 201, "body": "{}", "headers": {"Content-Type": "application/json", "X-Upkeep": "yes"}}'
headers=$(curl -s -D - -o /dev/null "$HTTP_FIXTURE/hdr" | tr -d '\r')
like "$headers" $'^HTTP/1\\.1 201 ' "http_route status"
like "$headers" $'\nX-Upkeep: yes\n' "http_route header"
like "$headers" $'\nContent-Type: application/json\n' "http_route replaces the default content type"
fails "a bad route is refused" http_route '{"path": "no-slash"}'

ok "http_reset" http_reset
body='{"run": "weekly-2026-W48", "status": "rolled-back", "text": "caf\u00e9 \"quoted\""}'
ok "POST a webhook" curl -fsS -H 'Content-Type: application/json' -H 'X-Upkeep-Event: run' \
	--data-binary "$body" "$HTTP_FIXTURE/hooks/upkeep"
requests=$(http_requests)
is "$(json 'len(d)' <<<"$requests")" 1 "one request recorded since the reset (control calls are not)"
is "$(json 'd[0]["method"] + " " + d[0]["path"]' <<<"$requests")" "POST /hooks/upkeep" "its method and path"
is "$(json 'd[0]["body"]' <<<"$requests")" "$body" "its body, byte for byte"
is "$(json 'd[0]["headers"]["X-Upkeep-Event"]' <<<"$requests")" "run" "its headers"
ok "POST a chunked body" curl -fsS -H 'Transfer-Encoding: chunked' --data-binary 'in chunks' \
	"$HTTP_FIXTURE/hooks/chunked"
is "$(http_requests | json 'd[-1]["body"]')" "in chunks" "chunked bodies are decoded"

port=${HTTP_FIXTURE##*:}
http_stop

curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/"
is "$?" 7 "after http_stop the port is closed (curl: couldn't connect)"
is "$(procs_mentioning "$UPKEEP_TEST_TMP/http")" "" "no process of the fixture remains"
ok "http_stop is idempotent" http_stop

done_testing
