#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/report-escape.t - hostile text in reports (issue 15,
# item 12). A job whose step and check names, description, step output
# and a server's HTTP body hold raw HTML (<img src=x onerror=alert(9)>),
# pipes, backticks, emphasis, a javascript: link and newlines is run by
# the real binary; its run report and the week's Markdown are rendered by
# a real Markdown renderer (cmark-gfm, GitHub's, with raw HTML let
# through: --unsafe, the worst case) and the HTML parsed by python3's
# html.parser: no <img> element, no onerror attribute, no javascript:
# link, and the names read exactly as written. The weekly HTML page goes
# through xmllint: well-formed, and only the elements html.c writes.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

_server_require cmark-gfm "cmark-gfm" cmark-gfm
_server_require xmllint "libxml2-utils" xmllint
http_start

H='<img src=x onerror=alert(9)> | `b` *e* ~~s~~ [x](javascript:alert(1))'
printf '%s' "$H" >"$tmp/h"
# The server answers with markup where the check wants "healthy".
http_set /health 200 "$H" || bail_out "cannot script the fixture"

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
cat >"$cfg/schedules/nightly.yaml" <<'YAML'
window: nightly
start: "*-*-* 02:00"
duration: 1h
YAML
# YAML double-quoted strings: only the backslash and the quote are
# special, and H has neither.
cat >"$cfg/jobs/hostile.yaml" <<YAML
job: hostile
description: "$H\nsecond line"
windows: [nightly]
steps:
  - { name: "$H", kind: command, run: [sh, -c, "echo first line; cat $tmp/h; echo"], timeout: 10s }
validate:
  - { name: "$H", kind: http, url: "$HTTP_FIXTURE/health", body_match: healthy, timeout: 5s }
YAML
U() { "$UPKEEP" --config "$cfg" "$@"; }

run U --now '2026-11-23 02:00' run hostile
is "$rc" 1 "the run fails (its validation does): $err"
md=$(ls "$cfg"/reports/runs/2026/*.md 2>/dev/null | head -1)
ok "the run report was written" test -s "$md"
ok "the weekly Markdown was written" test -s "$cfg/reports/weekly/2026-W48.md"
ok "the weekly HTML was written" test -s "$cfg/reports/weekly/2026-W48.html"

# render FILE: the Markdown as a GitHub-like renderer makes it, raw HTML
# let through.
render() {
	cmark-gfm --unsafe -e table -e strikethrough -e autolink -e tasklist "$1"
}
# inspect HTML_FILE EXPR: EXPR over what html.parser saw: tags (names),
# attrs (names), hrefs, cells (td/th texts), summaries, texts (all text).
inspect() {
	"$PY" - "$1" "$2" <<'PY'
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.hrefs = [], [], []
        self.cells, self.summaries, self.texts = [], [], []
        self.cur = None
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [a for a, _ in attrs]
        self.hrefs += [v or "" for a, v in attrs if a in ("href", "src")]
        if tag in ("td", "th", "summary", "li", "h1", "h3", "p"):
            self.cur = (tag, [])
    def handle_endtag(self, tag):
        if self.cur and tag == self.cur[0]:
            text = " ".join("".join(self.cur[1]).split())
            (self.summaries if tag == "summary" else self.cells).append(text)
            self.cur = None
    def handle_data(self, d):
        self.texts.append(d)
        if self.cur:
            self.cur[1].append(d)
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
tags, attrs, hrefs, cells, summaries = p.tags, p.attrs, p.hrefs, p.cells, p.summaries
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# ---- the run report -----------------------------------------------------------
render "$md" >"$tmp/run.html" || fail "cmark-gfm cannot render the run report"
is "$(inspect "$tmp/run.html" '"img" in tags')" false "run report: no <img> element"
is "$(inspect "$tmp/run.html" '[a for a in attrs if a.startswith("on")]')" "[]" \
	"run report: no event-handler attribute"
is "$(inspect "$tmp/run.html" '[h for h in hrefs if not h.startswith("../../weekly/")]')" "[]" \
	"run report: no link but the week's (no javascript:)"
is "$(inspect "$tmp/run.html" '"del" in tags or "em" in tags')" false \
	"run report: no emphasis or strike-through from the names"
# The names read as written: the step's row, the validation's, the job's
# description (its newline a space), the output's summary line.
is "$(H="$H" inspect "$tmp/run.html" 'cells.count(__import__("os").environ["H"])')" 2 \
	"run report: the step's and the check's names read exactly as written"
like "$(inspect "$tmp/run.html" 'cells')" "second line" "run report: the description's second line is there"
is "$(H="$H" inspect "$tmp/run.html" '[c for c in cells if c.startswith(__import__("os").environ["H"] + " second line")]')" \
	"[$(printf '%s' "$H second line" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')]" \
	"run report: the description, its newline a space"
is "$(inspect "$tmp/run.html" 'summaries')" \
	"[$(printf '%s' "output of $H (last lines)" | "$PY" -c 'import json,sys; print(json.dumps(sys.stdin.read()))')]" \
	"run report: the output's <summary> names the step as written"
like "$(inspect "$tmp/run.html" '[c for c in cells if "body" in c]')" "body '<img src=x onerror" \
	"run report: the server's body is quoted in the check's message, as text"
# The output itself is in a code block: text, whatever it holds.
like "$(inspect "$tmp/run.html" '"".join(p.texts)')" "first line" "run report: the output is shown"

# ---- the weekly Markdown --------------------------------------------------------
render "$cfg/reports/weekly/2026-W48.md" >"$tmp/week.html" || fail "cmark-gfm cannot render the weekly report"
is "$(inspect "$tmp/week.html" '"img" in tags')" false "weekly Markdown: no <img> element"
is "$(inspect "$tmp/week.html" '[a for a in attrs if a.startswith("on")]')" "[]" \
	"weekly Markdown: no event-handler attribute"
is "$(inspect "$tmp/week.html" '[h for h in hrefs if not h.startswith("../runs/2026/")]')" "[]" \
	"weekly Markdown: no link but the run's"
is "$(H="$H" inspect "$tmp/week.html" 'cells.count(__import__("os").environ["H"])')" 2 \
	"weekly Markdown: the step name reads as written (activities, step durations)"

# ---- the weekly HTML page -----------------------------------------------------------
page=$cfg/reports/weekly/2026-W48.html
ok "weekly HTML: well-formed" xmllint --noout "$page"
allowed=" html head meta title style body h1 h2 h3 p div b span a code table thead tbody tr th td ul li figure figcaption svg line text rect circle polyline "
is "$(xmllint --xpath "count(//*[not(contains('$allowed', concat(' ', local-name(), ' ')))])" "$page")" 0 \
	"weekly HTML: only the elements html.c writes"
is "$(xmllint --xpath 'count(//@*[starts-with(local-name(), "on")])' "$page")" 0 \
	"weekly HTML: no event-handler attribute"
is "$(H="$H" inspect "$page" 'cells.count(__import__("os").environ["H"])')" 1 \
	"weekly HTML: the step name reads as written"

done_testing
