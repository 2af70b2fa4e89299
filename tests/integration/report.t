#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/report.t - the weekly maintenance report and
# `upkeep report`, from a week of varied runs made by the real engine under
# a fixed clock (succeeded, failed, skipped-precheck, missed via `run --due`,
# interrupted by a killed upkeep, rolled back through a tracked git config),
# plus three earlier weeks of records in the documented shapes of the
# snapshot and docker-prune steps (those kinds need servers; their own
# tests run them). The Markdown's sections and numbers are checked against
# the records as python3 reads them; the HTML is checked with xmllint (it
# is well-formed XML), python3's html.parser, the SVG parsed for its bars
# and points, and a headless Chromium screenshot that must not be blank.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

_server_require chromium "chromium" chromium
_server_require xmllint "libxml2-utils" xmllint
_server_require script "util-linux" script

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs" "$tmp/deploy"
cat >"$cfg/schedules/nightly.yaml" <<'YAML'
window: nightly
start: "*-*-* 02:00"
duration: 1h
cutoff: 5m
YAML
cat >"$cfg/jobs/web.yaml" <<YAML
job: web
description: "nightly <web> & friends"
windows: [nightly]
prechecks:
  - { name: gate, kind: command, run: [sh, -c, "test ! -e $tmp/block"] }
steps:
  - { name: prep, kind: command, run: ["true"], timeout: 10s }
  - { name: slow, kind: command, run: [sleep, "1.5"], timeout: 1s800ms }
  - { name: flaky, kind: command, run: [sh, -c, "test ! -e $tmp/fail"], timeout: 10s }
  - { name: hang, kind: command, run: [sh, -c, "test ! -e $tmp/hang || exec sleep 60"], timeout: 2m }
YAML
git -C "$tmp/deploy" init -q && echo v1 >"$tmp/deploy/app.conf" &&
	git -C "$tmp/deploy" -c user.name=t -c user.email=t@t add . &&
	git -C "$tmp/deploy" -c user.name=t -c user.email=t@t commit -qm v1 ||
	bail_out "cannot make the tracked git repo"
cat >"$cfg/jobs/deploy.yaml" <<YAML
job: deploy
windows: [nightly]
tracked_config: { repo: $tmp/deploy }
steps:
  - { name: change, kind: command, run: [sh, -c, "test ! -e $tmp/fail || { echo v2 > $tmp/deploy/app.conf; exit 1; }"], on_failure: rollback }
YAML
U() { "$UPKEEP" --config "$cfg" "$@"; }

# ---- earlier weeks: records in the snapshot and docker-prune shapes ----------
# W45..W47: reclaimed bytes per run, a disk that fills up (in the snapshot's
# metrics.json, as docs/steps/snapshot.md writes it), and one table whose
# dead tuples come back every week.
"$PY" - "$cfg/reports/runs/2026" "$tmp/snapshots" <<'PY' || bail_out "cannot write the earlier records"
import json, os, sys
runs, snaps = sys.argv[1:]
os.makedirs(runs, exist_ok=True)
for i, (day, used, reclaimed) in enumerate([("2026-11-08", 50.0, 1 << 30), ("2026-11-15", 70.0, 2 << 30), ("2026-11-22", 93.0, 3 << 30)]):
    rid = "%sT020000Z-web-00%d0" % (day.replace("-", ""), i)
    total = 100 << 30
    d = os.path.join(snaps, rid)
    os.makedirs(d, exist_ok=True)
    json.dump({"disks": [{"mount": "/", "total_bytes": total, "free_bytes": int(total * (100 - used) / 100),
                          "used_bytes": int(total * used / 100), "used_percent": used}],
               "memory": {"total_bytes": 8 << 30, "available_bytes": 1 << 30, "used_percent": 87.5},
               "postgres": [{"database": "app", "size_bytes": (i + 1) << 20,
                             "top_dead_tuples": [{"schema": "public", "table": "events", "dead_tuples": 5000 * (i + 1), "live_tuples": 100000}]}]},
              open(os.path.join(d, "metrics.json"), "w"))
    rec = {"schema": 1, "run_id": rid, "job": "web", "status": "succeeded",
           "started": day + "T02:00:00Z", "finished": day + "T02:10:00Z", "duration_ms": 600000,
           "window": {"name": "nightly", "start": day + "T02:00:00Z", "cutoff": day + "T02:55:00Z", "end": day + "T03:00:00Z"},
           "prechecks": [], "validation": [],
           "steps": [{"name": "snapshot", "kind": "snapshot", "status": "ok", "duration_ms": 120000, "timeout_ms": 900000,
                      "details": {"dir": d, "total_bytes": 5 << 20, "artifacts": [
                          {"path": "pg/app.dump", "kind": "postgres", "verified": True, "size_bytes": 5 << 20}]}},
                     {"name": "docker cleanup", "kind": "docker-prune", "status": "ok", "duration_ms": 30000, "timeout_ms": 1800000,
                      "details": {"bytes": reclaimed, "categories": {"images": {"count": 3, "bytes": reclaimed - 1000},
                                                                      "containers": {"count": 2, "bytes": 1000},
                                                                      "build-cache": {"skipped": "no build cache API"}}}}]}
    json.dump(rec, open(os.path.join(runs, rid + ".json"), "w"), indent=2)
PY

# ---- this week (2026-W48): the real engine --------------------------------------
run U --now '2026-11-23 02:00' run web
is "$rc" 0 "Mon: web succeeded"
touch "$tmp/fail"
run U --now '2026-11-24 02:00' run web
is "$rc" 1 "Tue: web failed (step flaky)"
rm -f "$tmp/fail"; touch "$tmp/block"
run U --now '2026-11-25 02:00' run web
is "$rc" 3 "Wed: web skipped (its pre-check failed)"
rm -f "$tmp/block"
run U --now '2026-11-27 02:10' run --due
is "$rc" 0 "Fri: --due recorded Thursday as missed and ran web"
# Saturday: upkeep is killed while a step runs; the next command closes it.
touch "$tmp/hang"
UPKEEP_NOW='2026-11-28 02:00' "$UPKEEP" --config "$cfg" run web >/dev/null 2>&1 &
victim=$!
for _ in $(seq 200); do
	grep -qs '"step":"hang"' "$cfg"/state/journal/*.journal && break
	sleep 0.05
done
kill -9 "$victim"; wait "$victim" 2>/dev/null
rm -f "$tmp/hang"
run U --now '2026-11-28 02:30' history
like "$err" "closed run .* as interrupted \\(it stopped during step hang\\)" "Sat: the killed run was closed as interrupted"
run U --now '2026-11-29 02:00' run deploy
is "$rc" 0 "Sun: deploy succeeded (its config becomes last-stable)"
touch "$tmp/fail"
run U --now '2026-11-29 02:20' run deploy
is "$rc" 1 "Sun: deploy failed and rolled back"
rm -f "$tmp/fail"
is "$(cat "$tmp/deploy/app.conf")" "v1" "the tracked file is back at v1"
is "$(git -C "$tmp/deploy" status --porcelain)" "" "git: the work tree matches its new commit"

# ---- the weekly report on disk ---------------------------------------------------
md=$cfg/reports/weekly/2026-W48.md
html=$cfg/reports/weekly/2026-W48.html
ok "the run rebuilt reports/weekly/2026-W48.md" test -s "$md"
ok "and 2026-W48.html" test -s "$html"
run U --now '2026-11-29 12:00' report --week 2026-W48
is "$rc" 0 "report --week 2026-W48"
is "$out" "$(cat "$md")" "in a pipe it prints the (rebuilt) Markdown as is"

# expect PY: what python3 computes from `history --json` (as rs, this week's
# records as w) and the weekly Markdown (as md).
U history --json >"$tmp/hist.json"
expect() {
	"$PY" - "$tmp/hist.json" "$md" "$1" <<'PY'
import json, sys, re
rs = json.load(open(sys.argv[1]))
md = open(sys.argv[2]).read()
w = [r for r in rs if "2026-11-23" <= r["started"][:10] <= "2026-11-29"]
v = eval(sys.argv[3])
print(v if isinstance(v, str) else json.dumps(v))
PY
}
is "$(expect '[l for l in md.splitlines() if l.startswith("#")]')" \
	'["# Weekly maintenance report 2026-W48", "## System health summary", "### Incidents", "## Maintenance activities", '"$(expect '", ".join(json.dumps("### %s: %s, %s" % (r["job"], r["status"], r["started"])) for r in w)')"', "## Performance metrics", "### Disk", "### Memory", "### Databases", "### Step durations", "### Trend (last 8 weeks)", "## Upcoming maintenance", "## Recommendations"]' \
	"the sections, and one activity heading per run of the week, in order"
is "$(expect 'sorted(set(r["status"] for r in w))')" \
	'["failed", "interrupted", "missed", "rolled-back", "skipped-precheck", "succeeded"]' \
	"the week has every kind of run"
is "$(expect '[l for l in md.splitlines() if re.match(r"\| (runs|succeeded|failed|skipped-precheck|missed|interrupted|rolled-back|windows used|windows missed|incidents) \|", l)]')" \
	"$(expect '["| runs | %d |" % len(w)] + ["| %s | %d |" % (st, sum(r["status"] == st for r in w)) for st in dict.fromkeys(r["status"] for r in w)] + ["| windows used | %d |" % len(set(r["window"]["start"] for r in w if r["status"] != "missed")), "| windows missed | %d |" % len(set(r["window"]["start"] for r in w if r["status"] == "missed")), "| incidents | %d |" % sum(r["status"] in ("failed", "rolled-back", "rollback-failed", "interrupted", "missed") for r in w)]')" \
	"the health summary's counts are the records'"
is "$(expect 'len(re.findall(r"^- \*\*(failed|missed|interrupted|rolled-back)\*\* ", md, re.M))')" 4 \
	"four incidents listed: failed, missed, interrupted, rolled back"
like "$(cat "$md")" "\\*\\*interrupted\\*\\* web .*: upkeep stopped during step hang" "the interrupted run names its step"
like "$(cat "$md")" "\\*\\*rolled-back\\*\\* deploy .*: step 'change' failed: exit 1 \\(expected 0\\); rolled back from [0-9a-f]{12} to [0-9a-f]{12}" \
	"the rollback names the failed step and the commits"
like "$(cat "$md")" "Rollback: .*from: [0-9a-f]{12}; phase: restored; reason: step 'change' failed" \
	"the rollback object is shown as recorded"
like "$(cat "$md")" "\\*\\*missed\\*\\* web .*: window 'nightly' of 2026-11-26T02:00:00Z closed with no run" "the missed window"

# Every run of the week is linked, and the links resolve.
is "$(expect 'sorted(re.findall(r"\]\(\.\./runs/2026/([^)]+)\.md\)", md)) == sorted(set(r["run_id"] for r in w)) or sorted(set(re.findall(r"\]\(\.\./runs/2026/([^)]+)\.md\)", md)))')" \
	"$(expect 'sorted(set(r["run_id"] for r in w))')" "the weekly report links every run of the week"
bad=0
for l in $(grep -o '](\.\./runs/[^)]*)' "$md" | sed 's/^](//; s/)$//' | sort -u); do
	[ -f "$cfg/reports/weekly/$l" ] || bad=$((bad + 1))
done
is "$bad" 0 "every run link resolves to a report file"
run_md=$(ls "$cfg"/reports/runs/2026/20261123T*-web-*.md)
like "$(cat "$run_md")" 'Week: \[2026-W48\]\(\.\./\.\./weekly/2026-W48\.md\)' "a run's report links its week"
ok "and that link resolves" test -f "$(dirname "$run_md")/../../weekly/2026-W48.md"

# Durations against timeouts, and the rules.
is "$(expect 'len(re.findall(r"^- \*\*step-timeout\*\*: step .slow. of job .web. took", md, re.M))')" \
	"$(expect 'sum(1 for r in w for s in r["steps"] if s["name"] == "slow" and "duration_ms" in s and s["duration_ms"] > 0.8 * s["timeout_ms"])')" \
	"one step-timeout recommendation per run where 'slow' used > 80% of its timeout"
is "$(expect 'len(re.findall(r"^- \*\*window-missed\*\*: job .web. missed window .nightly. of 2026-11-26T02:00:00Z", md, re.M))')" 1 \
	"the missed window is a recommendation"
like "$(cat "$md")" "\\*\\*dead-tuples-recurring\\*\\*: table 'public.events' had dead tuples again in 3 runs of the last 8 weeks" \
	"a table dirty in three earlier weeks is flagged (trend over 8 weeks)"
unlike "$(cat "$md")" "\\*\\*disk-free\\*\\*" "no disk figures this week: no disk rule"

# The trend: this week's and the earlier weeks' numbers.
is "$(expect '[("| " + " | ".join(l.strip("| ").split(" | ")[:6]) + " | ") if l.startswith("| 2026-W48") else l for l in md.splitlines() if l.startswith("| 2026-W4")]')" \
	"$(expect '["| 2026-W%d | %s |" % (k, x) for k, x in [(41, "0 | 0 | 0 | 0 B | 0 | 0 ms | –"), (42, "0 | 0 | 0 | 0 B | 0 | 0 ms | –"), (43, "0 | 0 | 0 | 0 B | 0 | 0 ms | –"), (44, "0 | 0 | 0 | 0 B | 0 | 0 ms | –"), (45, "1 | 0 | 0 | 1.0 GiB | 0 | 10m00s | 50.0% used"), (46, "1 | 0 | 0 | 2.0 GiB | 0 | 10m00s | 70.0% used"), (47, "1 | 0 | 0 | 3.0 GiB | 0 | 10m00s | 93.0% used")]] + ["| 2026-W48 | %d | %d | %d | 0 B | 0 | " % (len(w), sum(r["status"] in ("failed", "rolled-back", "rollback-failed", "interrupted", "missed") for r in w), sum(r["status"] == "missed" for r in w))]')" \
	"trend rows: the earlier weeks' reclaimed bytes and disk use, this week's counts"
run U --now '2026-11-29 12:00' report --week 2026-W48 --json
is "$(printf '%s' "$out" | "$PY" -c 'import json,sys; m=json.load(sys.stdin); print(m["summary"]["maintenance_ms"], m["summary"]["window_ms"])')" \
	"$(expect '"%d %d" % (sum(r.get("duration_ms", 0) for r in w if r["status"] != "missed"), 3600000 * len(set(r["window"]["start"] for r in w)))')" \
	"--json: maintenance time is the runs' durations, window time the occurrences'"
is "$(printf '%s' "$out" | "$PY" -c 'import json,sys; m=json.load(sys.stdin); print([u["start"] for u in m["upcoming"]][:2], m["upcoming"][0]["jobs"])')" \
	"['2026-11-30T02:00:00Z', '2026-12-01T02:00:00Z'] ['deploy', 'web']" "upcoming: the next openings and their jobs"
run U --now '2026-11-23 12:00' report --week 2026-W47
like "$out" "\\| snapshot \\| snapshot \\| ok \\| 2m00s \\| 15m00s \\| 13% \\| size: 5.0 MiB, dumps verified: 1 of 1, files: 1 \\|" \
	"a snapshot step's key numbers (docs/steps/snapshot.md)"
like "$out" "\\| docker cleanup \\| docker-prune \\| ok \\| .* \\| reclaimed: 3.0 GiB, images: 3 removed, 3.0 GiB, containers: 2 removed, 1000 B, build-cache: skipped \\|" \
	"a docker-prune step's bytes per category (docs/steps/docker-prune.md)"
like "$out" "\\| / \\| 100.0 GiB \\| 7.0 GiB \\| 7.0 GiB \\| 93.0% → 93.0% \\|" "disk from the snapshot's metrics.json"
like "$out" "\\*\\*disk-free\\*\\*: free space on '/': 7.0% free" "under 10% free: the SOP's disk rule"
like "$out" "\\*\\*memory\\*\\*: memory is 88% used" "over 80% memory used: the memory rule"
like "$out" "\\| app \\| 3.0 MiB \\| 3.0 MiB \\|" "database sizes"

# ---- the HTML page ------------------------------------------------------------------
run U --now '2026-11-29 12:00' report --week 2026-W48 --open
is "$out" "$html" "--open prints the HTML page's path"
run xmllint --noout "$html"
is "$rc:$err" "0:" "the page is well-formed (xmllint, as XML)"
is "$("$PY" - "$html" <<'PY'
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.err = None
    def handle_starttag(self, t, a):
        if t not in VOID: self.stack.append(t)
    def handle_startendtag(self, t, a): pass
    def handle_endtag(self, t):
        if not self.stack or self.stack[-1] != t:
            self.err = self.err or "</%s> closes <%s>" % (t, self.stack[-1] if self.stack else "nothing")
        else: self.stack.pop()
p = P(); p.feed(open(sys.argv[1]).read()); p.close()
print(p.err or ("unclosed: %s" % p.stack if p.stack else "balanced"))
PY
)" balanced "html.parser: every element closed in order"
is "$(grep -ciE '<script|<link|<img|@import|url\(|src=' "$html")" 0 "no script, stylesheet, image or URL to fetch"
is "$(grep -oE 'https?://[^" ]+' "$html" | sort -u)" "http://www.w3.org/2000/svg" "the only URL is the SVG namespace"
is "$("$PY" - "$html" "$tmp/hist.json" <<'PY'
import json, sys, xml.etree.ElementTree as ET
S = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
svgs = {e.get("id"): e for e in root.iter(S + "svg")}
def count(id, tag, cls):
    return sum(1 for e in svgs[id].iter(S + tag) if cls in (e.get("class") or "").split())
rs = json.load(open(sys.argv[2]))
w = [r for r in rs if "2026-11-23" <= r["started"][:10] <= "2026-11-29"]
steps = set((r["job"], s["name"]) for r in w for s in r["steps"] if "duration_ms" in s)
print(json.dumps([count("chart-reclaimed", "rect", "bar") == len(w), count("chart-durations", "rect", "bar") == len(steps),
      count("chart-durations", "rect", "limit") == len(steps), count("chart-disk", "circle", "point"),
      len(svgs["chart-disk"].findall(S + "polyline"))]))
PY
)" "[true, true, true, 3, 1]" "SVG: a bar per run, a bar and a timeout per step, a point per week with disk figures"

# Headless Chromium: the page renders, at phone width, and is not blank.
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--window-size=412,2000 --screenshot="$tmp/shot.png" "file://$html" >"$tmp/chromium.log" 2>&1
ok "chromium took a screenshot" test -s "$tmp/shot.png" || diag "$(tail -5 "$tmp/chromium.log")"
is "$("$PY" - "$tmp/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT": idat += body
bpp = {2: 3, 6: 4}[ctype]; raw = zlib.decompress(idat); stride = w * bpp
prev, rows, i = bytearray(stride), [], 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
ink = sum(1 for r in rows for x in range(0, stride, bpp) if r[x] < 200 or r[x + 1] < 200 or r[x + 2] < 200)
colours = len(set(bytes(r[x:x + 3]) for r in rows[::4] for x in range(0, stride, bpp * 4)))
print("not blank" if ink > w * h // 100 and colours > 20 else "blank: %d dark pixels, %d colours" % (ink, colours))
PY
)" "not blank" "the screenshot shows the page (dark pixels and colours, not a blank page)"

# ---- upkeep report on a terminal ------------------------------------------------------
tty_run() { # tty_run COLUMNS [ENV...] -- ARGS: upkeep on a pseudo-terminal
	local cols=$1; shift
	COLUMNS=$cols script -qec "$(printf '%q ' env "$@")" /dev/null </dev/null | tr -d '\r'
}
out=$(tty_run 60 NO_COLOR= "$UPKEEP" --config "$cfg" --now '2026-11-29 12:00' report --week 2026-W48)
is "$(printf '%s\n' "$out" | "$PY" -c 'import re, sys
m = max(len(re.sub(r"\x1b\[[0-9;]*m", "", l)) for l in sys.stdin.read().split("\n"))
print("fits" if m <= 60 else "too wide: %d" % m)')" \
	fits "on a 60-column terminal no line is wider than 60 columns"
like "$out" $'\e\\[1m' "a terminal gets colour"
like "$out" $'\e\\[31mfailed' "failures in red"
out=$(tty_run 60 NO_COLOR=1 "$UPKEEP" --config "$cfg" --now '2026-11-29 12:00' report --week 2026-W48)
unlike "$out" $'\e' "NO_COLOR: no escape sequence at all"
like "$out" "System health summary
---------------------" "headings are underlined instead"
out=$(tty_run 100 NO_COLOR=1 "$UPKEEP" --config "$cfg" --now '2026-11-29 12:00' report)
like "$out" "step +kind +status +duration +timeout +summary" "the latest run's report as aligned columns"
unlike "$out" '\| ---' "no Markdown table syntax left"

# ---- an incomplete run in the weekly report (issue 15, item 1) -------------------------
# A window too short for the job's timeouts: the second step is deferred,
# the run is incomplete; the week counts it as an incident, is not
# healthy, and recommends with the evidence.
cat >"$cfg/schedules/tiny.yaml" <<'YAML'
window: tiny
start: "2026-12-01 02:00"
duration: 30m
cutoff: 5m
YAML
cat >"$cfg/jobs/short.yaml" <<'YAML'
job: short
windows: [tiny]
steps:
  - { name: quick, kind: command, run: ["true"], timeout: 10s }
  - { name: slow, kind: command, run: ["true"], timeout: 1h }
YAML
run U --now '2026-12-01 02:00' run short
is "$rc" 1 "a run that deferred a step exits 1"
run U --now '2026-12-01 12:00' report --week 2026-W49
wk=$cfg/reports/weekly/2026-W49.md
like "$(cat "$wk")" "
- \\*\\*incomplete\\*\\* short \\[\`[^\`]+-short-[0-9a-f]{4}\`\\]\\([^)]+\\) \\(2026-12-01T02:00:00Z\\): step 'slow' deferred" \
	"weekly: an incident line naming the deferred step"
like "$(cat "$wk")" "\\| health \\| \\*\\*needs attention\\*\\*: 1 incident," "weekly: the health summary is not healthy"
like "$(cat "$wk")" "- \\*\\*incomplete\\*\\*: job 'short' deferred step 'slow' in window 'tiny': its steps' timeouts add up to 1h10s and the window is 30m with a 5m cutoff: lengthen the window or split the job" \
	"weekly: the recommendation names its evidence"
like "$(cat "$cfg"/reports/runs/2026/*-short-*.md)" "\\| outcome \\| nothing failed, but not every step ran" \
	"the run report says what incomplete means"
out=$(tty_run 100 "$UPKEEP" --config "$cfg" --now '2026-12-01 12:00' report --week 2026-W49)
like "$out" $'\e\\[33mincomplete' "a terminal shows incomplete in yellow"
rm -f "$cfg/jobs/short.yaml" "$cfg/schedules/tiny.yaml"

# ---- bad input -------------------------------------------------------------------------
run U report --week 2026-W54
is "$rc" 2 "a week that cannot exist: usage error"
like "$err" "upkeep report: --week: '2026-W54' is not an ISO week like 2026-W48" "says what a week looks like"
run U report --week 2027-W53
like "$err" "2027 has no week 53" "a year without week 53"
run U report --week last latest
is "$rc" 2 "--week and a run id together: usage error"
run U --now '2026-12-02 12:00' report --week last --open
is "$out" "$cfg/reports/weekly/2026-W48.html" "--week last is the ISO week before the clock's"

done_testing
