#!/usr/bin/env bash
# tests/integration/metrics.t - the Prometheus textfile (`metrics:
# { textfile: PATH }`) written by the real binary after every run: it
# passes a strict parser of the text exposition format 0.0.4 (below, since
# Debian's promtool comes only inside the whole prometheus server
# package), and its values agree with the run records as python3 reads
# them from `upkeep history --json`; run statuses, incomplete and
# config-error included, are label values.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

cfg=$tmp/cfg
prom=$tmp/textfile/upkeep.prom
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: nightly\nstart: "*-*-* 02:00"\nduration: 1h\n' >"$cfg/schedules/nightly.yaml"
printf 'window: "sun.day"\nstart: "Sun 03:00"\nduration: 1h\n' >"$cfg/schedules/sunday.yaml"
cat >"$cfg/upkeep.yaml" <<YAML
metrics:
  textfile: $prom
YAML
cat >"$cfg/jobs/a.yaml" <<YAML
job: a
windows: [nightly]
steps:
  - { name: first step, kind: command, run: ["true"], timeout: 10s }
  - { name: "say \"hi\"", kind: command, run: [sleep, "0.2"], timeout: 1m }
YAML
cat >"$cfg/jobs/b.yaml" <<YAML
job: b
windows: [nightly, sun.day]
steps:
  - { name: boom, kind: command, run: ["false"], timeout: 5s }
YAML
U() { "$UPKEEP" --config "$cfg" "$@"; }

# The strict parser: prints "ok" or the first problem. The format's rules
# (https://prometheus.io/docs/instrumenting/exposition_formats/): HELP and
# TYPE at most once per family and before its samples, a family's samples
# together, metric and label names from their alphabets, label values with
# only \\ \" \n escapes, a float value, no series twice, a final newline.
cat >"$tmp/promcheck.py" <<'PY'
import re, sys
NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*'
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*)?,?\})? ([^ ]+)( -?[0-9]+)?$'
                    % (NAME, LABEL, VALUE, LABEL, VALUE))
def fail(n, why):
    print("line %d: %s" % (n, why)); sys.exit(1)
text = open(sys.argv[1], encoding="utf-8").read()
if not text.endswith("\n"):
    print("no final newline"); sys.exit(1)
types, helps, done, seen, current = {}, set(), set(), set(), None
for n, line in enumerate(text[:-1].split("\n"), 1):
    if line.startswith("#"):
        m = re.match(r'^# (HELP|TYPE) (%s) (.*)$' % NAME, line)
        if not m:
            if line.startswith("# HELP") or line.startswith("# TYPE"):
                fail(n, "malformed " + line[:6])
            continue
        kind, name, rest = m.groups()
        if name in done:
            fail(n, "%s for %s after its samples" % (kind, name))
        if kind == "TYPE":
            if name in types: fail(n, "second TYPE for " + name)
            if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                fail(n, "bad type " + rest)
            types[name] = rest
        else:
            if name in helps: fail(n, "second HELP for " + name)
            helps.add(name)
        continue
    if not line.strip():
        fail(n, "empty line")
    m = SAMPLE.match(line)
    if not m:
        fail(n, "not a sample: " + line)
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    try:
        float(value)
    except ValueError:
        fail(n, "bad value " + value)
    if name != current:
        if name in done: fail(n, "samples of %s are not together" % name)
        if current: done.add(current)
        current = name
    if name not in types: fail(n, "sample before TYPE: " + name)
    if types[name] == "counter" and not name.endswith("_total"):
        fail(n, "counter without _total: " + name)
    pairs = tuple(sorted(re.findall(r'(%s)=(%s)' % (LABEL, VALUE), labels)))
    if len(set(k for k, _ in pairs)) != len(pairs): fail(n, "label twice")
    if (name, pairs) in seen: fail(n, "duplicate series " + line)
    seen.add((name, pairs))
print("ok")
PY

# ---- runs -----------------------------------------------------------------------
run U --now '2026-11-23 02:00' run a
is "$rc" 0 "a succeeded"
ok "the textfile was written after the run" test -s "$prom"
is "$("$PY" "$tmp/promcheck.py" "$prom")" ok "it passes the strict format check"
run U --now '2026-11-23 02:05' run b
is "$rc" 1 "b failed"
run U --now '2026-11-25 02:30' run --due
is "$rc" 1 "--due on the 25th ran a and b (b failed again)"
is "$("$PY" "$tmp/promcheck.py" "$prom")" ok "still well-formed after more runs"
ok "no temp file left beside it" test "$(ls "$tmp/textfile" | wc -l)" -eq 1
is "$(stat -c %a "$prom")" 644 "readable by node_exporter"

# value NAME LABELS: the sample's value ("" when absent).
value() {
	"$PY" - "$prom" "$1" "$2" <<'PY'
import re, sys
path, name, labels = sys.argv[1:]
for line in open(path):
    if line.startswith(name + "{" + labels + "}"):
        print(line.rsplit(" ", 1)[1].strip())
PY
}
# rec JOB EXPR: EXPR over the job's last non-missed record r and all its records rs.
rec() {
	U history --job "$1" --json | "$PY" -c 'import json, sys
from datetime import datetime
rs = json.load(sys.stdin)
r = [x for x in rs if x["status"] != "missed"][-1]
ts = lambda s: int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp() - datetime(1970,1,1).timestamp())
print(eval(sys.argv[1]))' "$2"
}

is "$(value upkeep_last_run_success 'job="a"')" 1 "a's last run succeeded"
is "$(value upkeep_last_run_success 'job="b"')" 0 "b's last run failed"
is "$(value upkeep_last_run_timestamp_seconds 'job="a"')" "$(rec a 'ts(r["finished"])')" \
	"a's timestamp is its last record's finish"
is "$(value upkeep_last_run_duration_seconds 'job="a"')" "$(rec a '"%.3f" % (r["duration_ms"] / 1000)')" \
	"a's duration is its record's"
is "$(value upkeep_step_duration_seconds 'job="a",step="say \"hi\""')" \
	"$(rec a '"%.3f" % (r["steps"][1]["duration_ms"] / 1000)')" \
	"a step name with quotes is escaped, its duration the record's"
is "$(value upkeep_step_timeout_seconds 'job="a",step="first step"')" "10.000" "a step's timeout"
is "$(value upkeep_missed_windows_total 'job="a"')" "$(rec a 'sum(x["status"] == "missed" for x in rs)')" \
	"a's missed windows are its missed records"
is "$(value upkeep_missed_windows_total 'job="a"')" 1 "(one: the 24th)"
is "$(value upkeep_rollbacks_total 'job="b"')" 0 "no rollback on record"
is "$(value upkeep_bytes_reclaimed 'job="a"')" 0 "command steps reclaim nothing"
is "$(value upkeep_next_window_timestamp_seconds 'window="nightly"')" \
	"$("$PY" -c 'import calendar; print(calendar.timegm((2026, 11, 26, 2, 0, 0)))')" \
	"nightly opens next on the 26th at 02:00 UTC"
is "$(value upkeep_next_window_timestamp_seconds 'window="sun.day"')" \
	"$("$PY" -c 'import calendar; print(calendar.timegm((2026, 11, 29, 3, 0, 0)))')" \
	"sun.day opens next on Sunday the 29th at 03:00 UTC"

# ---- statuses as label values ------------------------------------------------
is "$(value upkeep_last_run_status 'job="a",status="succeeded"')" 1 "a's last status is 1 under its status"
is "$(value upkeep_last_run_status 'job="a",status="failed"')" 0 "and 0 under the others"
is "$(value upkeep_last_run_status 'job="b",status="failed"')" 1 "b's last status: failed"
is "$(value upkeep_runs_total 'job="a",status="missed"')" "$(rec a 'sum(x["status"] == "missed" for x in rs)')" \
	"a's records by status: missed"
is "$(value upkeep_runs_total 'job="b",status="failed"')" "$(rec b 'sum(x["status"] == "failed" for x in rs)')" \
	"b's records by status: failed"
is "$(value upkeep_runs_total 'job="a",status="incomplete"')" 0 "a status with no record is there, at 0"
# Records as the engine writes them for a run that deferred a step and for
# a job excluded from its window by a broken file (issue 15, items 1 and 3).
"$PY" - "$cfg/reports/runs/2026" <<'PY' || bail_out "cannot write the records"
import json, os, sys
d = sys.argv[1]
w = {"name": "nightly", "start": "2026-11-25T02:00:00Z", "cutoff": "2026-11-25T03:00:00Z", "end": "2026-11-25T03:00:00Z"}
json.dump({"schema": 1, "run_id": "20261125T020000Z-gone-0001", "job": "gone", "status": "config-error",
           "started": "2026-11-25T02:00:00Z", "window": w,
           "reason": "jobs/gone.yaml:3:7: unknown key 'timout' (did you mean 'timeout'?)"},
          open(os.path.join(d, "20261125T020000Z-gone-0001.json"), "w"))
json.dump({"schema": 1, "run_id": "20261125T020100Z-late-0002", "job": "late", "status": "incomplete",
           "started": "2026-11-25T02:01:00Z", "finished": "2026-11-25T02:02:00Z", "duration_ms": 60000, "window": w,
           "steps": [{"name": "long", "kind": "command", "status": "deferred", "timeout_ms": 7200000}]},
          open(os.path.join(d, "20261125T020100Z-late-0002.json"), "w"))
PY
run U --now '2026-11-25 02:45' run a
is "$rc" 0 "another run of a rewrites the textfile"
is "$("$PY" "$tmp/promcheck.py" "$prom")" ok "with the new statuses it passes the strict format check"
is "$(value upkeep_last_run_status 'job="gone",status="config-error"')" 1 "the excluded job: config-error"
is "$(value upkeep_last_run_success 'job="gone"')" 0 "the excluded job did not succeed"
is "$(value upkeep_runs_total 'job="gone",status="config-error"')" 1 "one config-error on record"
is "$(value upkeep_last_run_timestamp_seconds 'job="gone"')" \
	"$("$PY" -c 'import calendar; print(calendar.timegm((2026, 11, 25, 2, 0, 0)))')" \
	"a config-error's time is its start (nothing finished)"
is "$(value upkeep_last_run_status 'job="late",status="incomplete"')" 1 "the incomplete run: incomplete"
is "$(value upkeep_last_run_success 'job="late"')" 0 "an incomplete run is no success"

# ---- what the textfile needs of each job's last run is the index's --------------
# A run writes the textfile without opening any record but its own, so its
# cost does not grow with the last runs' records (issue 21, item 1); the
# figures of a job whose record is not read are still its record's.
if command -v strace >/dev/null; then
	others=$(other_records_opened "$cfg" '2026-11-25 02:50' a)
	is "$?" 0 "a traced run of a succeeded"
	is "$others" "" "the run opened no record but its own"
	is "$(value upkeep_step_timeout_seconds 'job="b",step="boom"')" "$(rec b '"%.3f" % (r["steps"][0]["timeout_ms"] / 1000)')" \
		"b's step timeout is still its record's"
	is "$(value upkeep_last_run_duration_seconds 'job="b"')" "$(rec b '"%.3f" % (r["duration_ms"] / 1000)')" \
		"and its duration"
	is "$(value upkeep_step_timeout_seconds 'job="late",step="long"')" "7200.000" "a deferred step keeps its timeout"
	is "$("$PY" "$tmp/promcheck.py" "$prom")" ok "it passes the strict format check"

	# A host's first run: the job totals start from its own index line;
	# its record, just saved, is not read back (a recount would).
	first=$tmp/first
	mkdir -p "$first/jobs" "$first/schedules"
	cp "$cfg/schedules/nightly.yaml" "$first/schedules/"
	cp "$cfg/jobs/a.yaml" "$first/jobs/"
	printf 'metrics:\n  textfile: %s\n' "$first/upkeep.prom" >"$first/upkeep.yaml"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -e trace=openat -o "$tmp/first.trace" "$UPKEEP" --config "$first" \
		--now '2026-11-25 02:10' run a >/dev/null 2>&1
	is "$?" 0 "a host's first run succeeds"
	own=$(basename "$(ls "$first"/reports/runs/*/*.json)")
	is "$(grep -c "$own\", O_RDONLY" "$tmp/first.trace")" 0 "it did not read its record back"
	is "$(prom=$first/upkeep.prom value upkeep_last_run_duration_seconds 'job="a"')" \
		"$("$PY" -c 'import json, sys; print("%.3f" % (json.load(open(sys.argv[1]))["duration_ms"] / 1000))' "$first"/reports/runs/*/*.json)" \
		"its textfile has its duration"
elif [ "${CI:-}" = true ]; then
	fail "strace is needed to see which records a run opens (apt-get install strace)"
fi

# ---- the parser can fail -----------------------------------------------------
printf '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n' >"$tmp/bad.prom"
like "$("$PY" "$tmp/promcheck.py" "$tmp/bad.prom")" "duplicate series" "the checker rejects a duplicate series"
printf '# TYPE x counter\nx 1\n' >"$tmp/bad.prom"
like "$("$PY" "$tmp/promcheck.py" "$tmp/bad.prom")" "counter without _total" "and a counter named like a gauge"
printf 'x{a="\\q"} 1\n' >"$tmp/bad.prom"
like "$("$PY" "$tmp/promcheck.py" "$tmp/bad.prom")" "not a sample" "and a bad escape"

# ---- no textfile configured: nothing written ------------------------------------
rm -f "$cfg/upkeep.yaml" "$prom"
run U --now '2026-11-26 02:00' run a
ok "without metrics: no textfile" test ! -e "$prom"

done_testing
