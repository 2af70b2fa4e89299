#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/checks.t - the check kinds (http, disk, memory, tcp,
# command) run by the real binary, through `upkeep plan` (which runs a job's
# pre-checks and changes nothing), against the HTTP fixture and sockets of
# this test. What the checks report is compared with what python3 reads
# from the same sources (statvfs, /proc/meminfo) and with what the fixture
# recorded; the unit tests (tests/unit/test_checks.c) cover the messages.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

http_start
http_set /health 200 "ok" || bail_out "cannot script the fixture"
http_set /down 503 "db unreachable"
http_set /slow 200 "ok" 0.5
closed=$(free_port)

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
# line NAME: the plan's line for the pre-check NAME ("ok|FAILED NAME MSG").
line() { grep -E "^  (ok|FAILED) +$1 {2,}" <<<"$out"; }

cat >"$cfg/jobs/good.yaml" <<YAML
job: good
windows: [w]
prechecks:
  - { name: api, kind: http, url: "$HTTP_FIXTURE/health", body_match: ok, max_latency: 5s, headers: { X-Upkeep-Check: good } }
  - { name: api regex, kind: http, url: "$HTTP_FIXTURE/health", body_regex: "^ok$" }
  - { name: root disk, kind: disk, path: /, min_free: 0% }
  - { name: memory, kind: memory, max_used: 100% }
  - { name: port, kind: tcp, host: 127.0.0.1, port: ${HTTP_FIXTURE##*:} }
  - { name: cmd, kind: command, shell: "echo ready", output_match: ready }
steps:
  - { name: s, kind: command, run: ["true"] }
YAML
run U plan good --ignore-window
is "$rc" 0 "every pre-check passes: plan exits 0" || diag "$out$err"
like "$(line api)" "^  ok +api +HTTP 200 in [0-9]+ ms$" "http: status and time"
like "$(line 'api regex')" "^  ok " "http: body_regex anchors at lines"
like "$(line port)" "connected to 127\\.0\\.0\\.1:${HTTP_FIXTURE##*:} in [0-9]+ ms$" "tcp: the address connected to"
like "$(line cmd)" "^  ok +cmd +exit 0 in [0-9]+ ms$" "command: exit code and output"

# disk and memory, against python's reading of the same sources.
like "$(line 'root disk')" "^  ok +root disk +/: [0-9.]+% free, [0-9.]+ [KMGT]?i?B \\(needs 0%\\)$" \
	"disk: free percentage and bytes"
got=$(line 'root disk' | sed -E 's|.*/: ([0-9.]+)% free.*|\1|')
want=$("$PY" -c 'import os; s = os.statvfs("/"); print("%.1f" % (s.f_bavail * 100 / s.f_blocks))')
# Within 0.2 points: other writers may have moved it in between.
ok "disk: $got% free, python's statvfs says $want%" \
	"$PY" -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 0.2)' "$got" "$want"
want=$("$PY" -c 'import re; kb = int(re.search(r"MemTotal:\s+(\d+) kB", open("/proc/meminfo").read()).group(1)); print("%.1f GiB" % (kb / 1024 / 1024))')
like "$(line memory)" "^  ok +memory +memory [0-9.]+% used of $want \\(limit 100%\\)$" \
	"memory: the total /proc/meminfo gives ($want)"

# What the fixture saw: one GET per http check, our header, no more.
reqs=$(http_requests)
is "$("$PY" -c 'import json, sys; d = json.load(sys.stdin); print(" ".join(r["method"] + ":" + r["path"] for r in d))' <<<"$reqs")" \
	"GET:/health GET:/health" "the fixture got one GET per http check"
is "$("$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["headers"].get("X-Upkeep-Check"))' <<<"$reqs")" \
	"good" "the configured header was sent"

cat >"$cfg/jobs/bad.yaml" <<YAML
job: bad
windows: [w]
prechecks:
  - { name: api down, kind: http, url: "$HTTP_FIXTURE/down" }
  - { name: api slow, kind: http, url: "$HTTP_FIXTURE/slow", max_latency: 100ms }
  - { name: api body, kind: http, url: "$HTTP_FIXTURE/health", body_match: healthy }
  - { name: api gone, kind: http, url: "http://upkeep:hunter2-pw@127.0.0.1:$closed/health" }
  - { name: api stuck, kind: http, url: "$HTTP_FIXTURE/slow", timeout: 200ms }
  - { name: full disk, kind: disk, path: /, min_free: 100% }
  - { name: no disk, kind: disk, path: $tmp/nonexistent }
  - { name: port, kind: tcp, host: 127.0.0.1, port: $closed }
  - { name: cmd, kind: command, shell: "echo 'disk is on fire'; exit 4" }
  - { name: cmd slow, kind: command, run: [sleep, "10.417"], timeout: 300ms }
  - { name: cmd missing, kind: command, run: [upkeep-no-such-program] }
steps:
  - { name: s, kind: command, run: ["true"] }
YAML
start=$(date +%s%N)
run U plan bad --ignore-window
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
is "$rc" 3 "a failed pre-check: plan exits 3" || diag "$out$err"
ok "the timeouts held: the plan took ${elapsed} ms (< 5000)" test "$elapsed" -lt 5000
like "$(line 'api down')" "FAILED +api down +HTTP 503 \\(expected 200\\) in [0-9]+ ms$" "http: wrong status"
like "$(line 'api slow')" "FAILED +api slow +HTTP 200 in 5[0-9]{2} ms \\(budget 100 ms\\)$" "http: over the latency budget"
like "$(line 'api body')" "FAILED +api body +body does not contain 'healthy' \\(HTTP 200 in [0-9]+ ms, body 'ok'\\)$" "http: body_match"
like "$(line 'api gone')" "FAILED +api gone +cannot connect to http://127\\.0\\.0\\.1:$closed/health: Connection refused$" "http: connection refused"
unlike "$out$err" "hunter2|upkeep:" "the URL's user and password are not shown"
like "$(line 'api stuck')" "FAILED +api stuck +no answer within 200ms from $HTTP_FIXTURE/slow$" "http: timeout"
like "$(line 'full disk')" "FAILED +full disk +/: only [0-9.]+% free, .* \\(needs 100%\\)$" "disk: too little free"
like "$(line 'no disk')" "FAILED +no disk +cannot stat '$tmp/nonexistent': No such file or directory$" "disk: missing path"
like "$(line port)" "FAILED +port +cannot connect to 127\\.0\\.0\\.1:$closed: Connection refused$" "tcp: connection refused"
like "$(line cmd)" "FAILED +cmd +exit 4 \\(expected 0\\): disk is on fire$" "command: exit code and last line"
like "$(line 'cmd slow')" "FAILED +cmd slow +timed out after 300ms$" "command: timeout"
like "$(line 'cmd missing')" "FAILED +cmd missing +cannot run 'upkeep-no-such-program': No such file or directory$" "command: missing program"
# An odd length: a plain 'sleep 10' would also match another test's 'sleep 100000'.
is "$(procs_mentioning 'sleep 10.417' | grep -c .)" 0 "no 'sleep 10.417' left running"

done_testing
