#!/usr/bin/env bash
# `make demo` in CI: scripts/demo.sh runs the Sunday story in its sandbox
# (real PostgreSQL, Podman API, registry, app, git repo), and its results
# are checked with independent tools: python's json for the run records,
# git for the config repo, xmllint for the weekly HTML.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

demo=$tmp/demo
start=$(date +%s)
DEMO_DIR=$demo "$repo/scripts/demo.sh" "$UPKEEP" >"$tmp/demo.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
is "$rc" 0 "scripts/demo.sh exits 0" || diag "$(tail -n 40 "$tmp/demo.out")"
ok "the demo takes under 2 minutes (it took ${took}s)" test "$took" -lt 120

records() {
	"$PY" - "$demo/cfg/reports/runs" "$1" <<'PY'
import glob, json, sys
recs = sorted((json.load(open(p)) for p in glob.glob(sys.argv[1] + "/*/*.json")),
              key=lambda r: r["started"])
print(eval(sys.argv[2]))
PY
}
is "$(records '[r["status"] for r in recs]')" "['succeeded', 'rolled-back']" \
	"two runs: the first succeeded, the second rolled back"
is "$(records '[s["status"] for s in recs[0]["steps"]]')" "['ok', 'ok', 'ok', 'ok', 'ok']" \
	"run 1: snapshot, docker cleanup, vacuum, patch check and restart all ok"
is "$(records 'recs[1]["rollback"]["reason"]')" "validation failed (api healthy)" \
	"run 2 rolled back because the app's health check failed"
is "$(records '[c["passed"] for c in recs[1]["rollback"]["validation"]]')" "[True, True, True, True]" \
	"after the rollback every validation check passed"
is "$(records 'recs[0]["tracked_config"]["promoted"]["to"]')" \
	"$(git -C "$demo/app-config" rev-parse refs/upkeep/last-stable)" "run 1 promoted last-stable (git agrees)"

git_tree() { git -C "$demo/app-config" rev-parse "$1^{tree}"; }
is "$(git_tree HEAD)" "$(git_tree refs/upkeep/last-stable)" "the config repo is back at last-stable's tree"
is "$(git -C "$demo/app-config" status --porcelain)" "" "and its work tree is clean"
like "$(git -C "$demo/app-config" log -1 --format=%s)" "^upkeep: roll back to [0-9a-f]{7} after run .*: validation failed \\(api healthy\\)" \
	"the rollback is a commit on the branch"
is "$(git -C "$demo/app-config" log -1 --skip=1 --format=%s)" "try experimental mode" \
	"history keeps the breaking commit under it"
is "$(cat "$demo/app-config/.env")" "API_TOKEN=not-tracked" "the ignored .env was not touched"

md1=$(cat "$demo/cfg/reports/runs/2026/$(records 'recs[0]["run_id"]').md")
like "$md1" "## Findings" "run 1's report lists the patch check's findings"
like "$md1" "\| patch check \| update \| [^|]+ \| update available: 127\.0\.0\.1:[0-9]+/demo/web:1\.0 local sha256:[0-9a-f]+ → registry sha256:[0-9a-f]+ \|" \
	"... including the image whose tag moved"
like "$md1" "\| last-stable \| none → [0-9a-f]{7} \(promoted\) \|" "... and the promotion of last-stable"
weekly=$(find "$demo/cfg/reports/weekly" -name '*.html' | sort | tail -1)
ok "a weekly HTML report exists" test -s "$weekly"
ok "it is well-formed (xmllint)" xmllint --noout "$weekly"
like "$(cat "$weekly")" "<svg" "with inline SVG charts"
like "$(cat "$tmp/demo.out")" "weekly report: $weekly" "the demo prints its path"
like "$(cat "$tmp/demo.out")" "rolled-back" "the summary table shows the rollback"
is "$(procs_of_demo=$(pgrep -f "$demo" | tr '\n' ' '); echo "$procs_of_demo")" "" "no process of the sandbox is left"

done_testing
