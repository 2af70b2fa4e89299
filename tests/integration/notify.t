#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/notify.t - webhooks (`notify:` in upkeep.yaml and in a
# job) sent by the real binary to the HTTP fixture: which events reach
# which webhook, the Slack-compatible and the generic JSON bodies, a 500
# retried, a hanging endpoint costing the run at most the 10 s budget, an
# incomplete run told as a warning, and the webhook URL's token never
# written under reports/ nor logged. What was sent is read from the
# fixture's own record of the requests.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

http_start
TOKEN=T0K3N-b9f2e1c7a4d8
http_set "/hooks/slack/$TOKEN" 200 ok || bail_out "cannot script the fixture"

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
cat >"$cfg/schedules/nightly.yaml" <<'YAML'
window: nightly
start: "*-*-* 02:00"
duration: 1h
YAML
# The Slack webhook's URL comes from the environment (as it would in
# production); the generic one is written literally: both are secrets.
export SLACK_URL="$HTTP_FIXTURE/hooks/slack/$TOKEN"
cat >"$cfg/upkeep.yaml" <<YAML
notify:
  - { name: ops, url: "\${SLACK_URL}", on: [start, success, failure, missed] }
YAML
cat >"$cfg/jobs/a.yaml" <<YAML
job: a
windows: [nightly]
steps:
  - { name: work, kind: command, run: [sh, -c, "test ! -e $tmp/fail"], timeout: 10s }
  # A careless script that prints the webhook URLs: the record must not keep them.
  - { name: leak, kind: command, run: [sh, -c, "echo \"\$SLACK_URL $HTTP_FIXTURE/hooks/json/$TOKEN\""], timeout: 10s }
notify:
  - { name: audit, url: "$HTTP_FIXTURE/hooks/json/$TOKEN", format: json, on: [failure] }
YAML
U() { "$UPKEEP" --config "$cfg" "$@"; }
# reqs EXPR: EXPR over the recorded webhook requests (as r, a list).
reqs() {
	http_requests | "$PY" -c 'import json, sys
r = [x for x in json.load(sys.stdin) if x["path"].startswith("/hooks/")]
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# ---- a success: start and success to ops; nothing to audit --------------
run U --now '2026-11-23 02:00' run a
is "$rc" 0 "the run succeeded"
is "$(reqs 'len(r)')" 2 "two webhook requests (start, success)"
is "$(reqs '[x["path"].split("/")[2] for x in r]')" '["slack", "slack"]' \
	"both went to ops (audit wants failures only)"
is "$(reqs '[x["method"] + " " + x["headers"].get("Content-Type", "") for x in r]')" \
	'["POST application/json", "POST application/json"]' "POSTed as JSON"
is "$(reqs 'sorted(json.loads(r[1]["body"]).keys())')" '["text"]' \
	"the Slack body is {\"text\": ...}"
start=$(reqs 'json.loads(r[0]["body"])["text"]')
text=$(reqs 'json.loads(r[1]["body"])["text"]')
like "$start" '^:arrow_forward: \*a\* started on .* \(run `20261123T020000Z-a-[0-9a-f]{4}`\) in window .nightly.$' \
	"start: emoji, job, run id, window"
id=$(U history --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["run_id"])')
like "$text" "^:white_check_mark: \\*a\\* succeeded on " "success: status emoji and job"
like "$text" "Report: $cfg/reports/runs/2026/$id.md" "success: names the report path"
like "$text" "Week: $cfg/reports/weekly/2026-W48.html" "success: names the weekly page"
ok "the report it names exists" test -f "$cfg/reports/runs/2026/$id.md"

# ---- a failure: ops gets the Slack text, audit the generic JSON ----------
http_reset
http_set "/hooks/slack/$TOKEN" 200 ok
touch "$tmp/fail"
run U --now '2026-11-24 02:00' run a
is "$rc" 1 "the run failed"
rm -f "$tmp/fail"
is "$(reqs '[x["path"].split("/")[2] for x in r]')" '["slack", "slack", "json"]' \
	"start to ops, then failure to ops (upkeep.yaml's) and audit (the job's)"
like "$(reqs 'json.loads(r[1]["body"])["text"]')" "^:x: \\*a\\* failed on .*
step 'work' failed: exit 1" "failure: emoji and the failed step"
fid=$(U history --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["run_id"])')
is "$(reqs '(lambda b: [b["event"], b["status"], b["run_id"], b["job"], [s["status"] for s in b["steps"]][:1], b["report"].endswith(b["run_id"] + ".md")])(json.loads(r[2]["body"]))')" \
	"[\"failure\", \"failed\", \"$fid\", \"a\", [\"failed\"], true]" \
	"the generic body: event, status, run id, steps, report"
is "$(reqs '(lambda b: b["why"])(json.loads(r[2]["body"]))')" "step 'work' failed: exit 1 (expected 0)" \
	"the generic body says why"
is "$(reqs '(lambda b: "output_tail" in json.dumps(b))(json.loads(r[2]["body"]))')" "false" \
	"no step output travels in a body"

# ---- a missed window (run --due) ----------------------------------------
http_reset
http_set "/hooks/slack/$TOKEN" 200 ok
run U --now '2026-11-26 02:10' run --due
is "$(reqs '[json.loads(x["body"])["text"].split(" ")[0] for x in r]')" \
	'[":warning:", ":arrow_forward:", ":white_check_mark:"]' \
	"missed (the 25th), then start and success of the run it did"
like "$(reqs 'json.loads(r[0]["body"])["text"]')" "missed its window.*window 'nightly' of 2026-11-25T02:00:00Z closed with no run" \
	"missed: names the window occurrence"

# ---- an incomplete run: a warning, not a success ----------------------------
# A one-off window too short for the step: it is deferred, the run is
# incomplete (issue 15, item 1), and the webhooks hear a warning.
cat >"$cfg/schedules/once.yaml" <<'YAML'
window: once
start: "2026-11-26 05:00"
duration: 1h
YAML
cat >"$cfg/jobs/d.yaml" <<YAML
job: d
windows: [once]
steps:
  - { name: long, kind: command, run: ["true"], timeout: 2h }
notify:
  - { name: audit, url: "$HTTP_FIXTURE/hooks/json/$TOKEN", format: json, on: [failure] }
YAML
http_reset
http_set "/hooks/slack/$TOKEN" 200 ok
http_set "/hooks/json/$TOKEN" 200 ok
run U --now '2026-11-26 05:00' run d
is "$rc" 1 "a run that deferred its step exits 1"
is "$(U history --job d --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["status"])')" incomplete \
	"and is recorded incomplete"
is "$(reqs '[x["path"].split("/")[2] for x in r]')" '["slack", "slack", "json"]' \
	"start to ops, then the warning to ops and to the job's failure webhook"
like "$(reqs 'json.loads(r[1]["body"])["text"]')" "^:warning: \\*d\\* incomplete on .*
step 'long' deferred" "Slack: a warning emoji (not a check mark), the status and the deferred step"
is "$(reqs '(lambda b: [b["event"], b["level"], b["status"]])(json.loads(r[2]["body"]))')" \
	'["failure", "warning", "incomplete"]' "the generic body: a failure event at the warning level"
rm -f "$cfg/jobs/d.yaml" "$cfg/schedules/once.yaml"

# ---- a 500 is retried ------------------------------------------------------
http_reset
http_set "/hooks/slack/$TOKEN" 500 "try later"
t0=$(date +%s%N)
run U --now '2026-11-27 02:00' run a -v
t1=$(date +%s%N)
is "$rc" 0 "a failing webhook does not fail the run"
is "$(reqs 'len([x for x in r if x["path"].startswith("/hooks/slack/")])')" 4 \
	"the start event was tried 4 times"
like "$err$out" "notify 'ops': start not sent after 4 attempts: HTTP 500" \
	"the give-up is logged, naming the webhook"
like "$err$out" "notify 'ops': success not sent: it failed less than 5 minutes ago" \
	"a webhook that just failed is left alone for the success event"
ok "retries stay inside the budget ($(( (t1 - t0) / 1000000 )) ms)" \
	test $(( (t1 - t0) / 1000000 )) -lt 25000

# ---- a hanging endpoint costs at most the budget ---------------------------
http_reset
http_set "/hooks/slack/$TOKEN" 200 ok 60
cat >"$cfg/upkeep.yaml" <<YAML
notify:
  - { name: ops, url: "\${SLACK_URL}", on: [success] }
YAML
t0=$(date +%s%N)
run U --now '2026-11-28 02:00' run a -v
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
is "$rc" 0 "the run succeeded while the webhook hung"
ok "the hanging webhook cost at most the 10 s budget (run took $ms ms)" test "$ms" -lt 15000
like "$err$out" "notify 'ops': success not sent after 1 attempt: .*timed out" \
	"the timeout is logged"

# After an outage, --due records several missed windows: a hanging webhook
# costs the budget once, not once per window.
cat >"$cfg/upkeep.yaml" <<YAML
notify:
  - { name: ops, url: "\${SLACK_URL}", on: [success, missed] }
YAML
http_reset
http_set "/hooks/slack/$TOKEN" 200 ok 60
t0=$(date +%s%N)
run U --now '2026-12-02 02:10' run --due -v
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
is "$(U history --job a --json | "$PY" -c 'import json,sys; print(sum(r["status"] == "missed" and r["started"] >= "2026-11-29" for r in json.load(sys.stdin)))')" 3 \
	"three windows were missed (29 Nov to 1 Dec)"
ok "four events cost one budget, not four ($ms ms)" test "$ms" -lt 15000
is "$(grep -c "not sent: it failed less than 5 minutes ago" <<<"$err$out")" 3 \
	"the other three events skipped the hanging webhook"

# ---- the token stays secret --------------------------------------------------
ok "reports/ holds reports" test -n "$(find "$cfg/reports" -type f | head -1)"
like "$(cat "$cfg"/reports/runs/2026/20261123T*.json)" '"output_tail": "<redacted> <redacted>' \
	"the URLs a step printed are redacted in its record"
is "$(grep -rl "$TOKEN" "$cfg/reports" "$cfg/state" 2>/dev/null | wc -l)" 0 \
	"the token is in no file under reports/ or state/"
is "$(grep -c "$TOKEN" "$tmp/out" "$tmp/err" | awk -F: '{s += $2} END {print s}')" 0 \
	"nor in the run's output"

# ---- commands that only read work without the webhook's secret ----------------
run env -u SLACK_URL "$UPKEEP" --config "$cfg" report --week 2026-W48 --open
is "$rc:$err" "0:" "report works with \${SLACK_URL} unset (it sends nothing)"
run env -u SLACK_URL "$UPKEEP" --config "$cfg" check
like "$err" "SLACK_URL" "while check (like run) says it is unset"

# ---- bad config: named without the URL ---------------------------------------
cat >"$cfg/upkeep.yaml" <<YAML
notify:
  - { name: ops, url: "ftp://hooks.example/$TOKEN", on: [sucess] }
YAML
run U check
is "$rc" 2 "a bad notify entry is a config error"
like "$err" "upkeep.yaml:2:23: 'url' must be an http:// or https:// URL" "a bad URL is named by position"
like "$err" "unknown event 'sucess' \\(did you mean 'success'\\?\\)" "a misspelt event gets a hint"
unlike "$err" "$TOKEN" "the message does not quote the URL"

done_testing
