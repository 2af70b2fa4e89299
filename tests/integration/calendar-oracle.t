#!/usr/bin/env bash
# upkeep's calendar against independent implementations of the same
# syntaxes (tests/oracle/calendar_oracle.py does the work):
#
#   - systemd.time(7) specs against `systemd-analyze calendar`: 500+
#     generated specs (fixed seed) and probes, in six zones (UTC,
#     Europe/Berlin, America/New_York, Australia/Lord_Howe with its 30-minute
#     DST, Asia/Kathmandu at +05:45, America/Santiago), from base times next
#     to the 2027 transitions of both hemispheres and ordinary ones.  They
#     must agree away from DST transitions; at transitions upkeep must follow
#     its own rules (README, "Windows and time"), checked with python's
#     zoneinfo, and every difference from systemd must be one of those.
#   - 5-field cron against the npm package cron-parser (pinned in
#     tests/oracle/package-lock.json; `npm ci --prefix tests/oracle`).
#
# Needs systemd-analyze, python3 (zoneinfo), node and tests/oracle/node_modules.
# Missing ones fail under CI=true (install them with `make deps`) and skip
# loudly elsewhere.  UPKEEP_ORACLE_PERTURB=systemd|cron moves one upkeep
# instant by a second before comparing: the matching checks must then fail.
set -uo pipefail
# tap.sh, $UPKEEP (absolute; default build/upkeep), $repo, $tmp
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
oracle=$repo/tests/oracle

# What is missing, per part; empty when the part can run.
need_systemd=""
need_cron=""
command -v systemd-analyze >/dev/null || need_systemd="systemd-analyze (package systemd)"
if ! "$PY" -c 'import zoneinfo; zoneinfo.ZoneInfo("Australia/Lord_Howe")' 2>/dev/null; then
	need_systemd="${need_systemd:+$need_systemd, }python3 with zoneinfo and tzdata"
	need_cron="python3"
fi
command -v node >/dev/null || need_cron="${need_cron:+$need_cron, }node (package nodejs)"
[ -d "$oracle/node_modules/cron-parser" ] ||
	need_cron="${need_cron:+$need_cron, }tests/oracle/node_modules (npm ci --prefix tests/oracle)"

if [ -n "$need_systemd" ] && [ -n "$need_cron" ] && [ "${CI:-}" != true ]; then
	skip_all "missing $need_systemd; $need_cron (run 'make deps')"
fi
if [ ! -x "$UPKEEP" ]; then
	fail "no upkeep binary at $UPKEEP (run 'make')"
	done_testing
	exit
fi

# run_oracle PART - runs the oracle and turns its CHECK/DIAG lines into TAP.
run_oracle() {
	local part=$1 rc line n=0 started=$SECONDS
	"$PY" "$oracle/calendar_oracle.py" "$part" --upkeep "$UPKEEP" \
		>"$tmp/$part.out" 2>"$tmp/$part.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"CHECK 1 "*) pass "${line#CHECK 1 }"; n=$((n + 1)) ;;
		"CHECK 0 "*) fail "${line#CHECK 0 }"; n=$((n + 1)) ;;
		"DIAG "*) diag "  ${line#DIAG }" ;;
		esac
	done <"$tmp/$part.out"
	if [ "$rc" -ne 0 ] || [ "$n" -eq 0 ]; then
		fail "the $part oracle ran (exit status $rc)"
		diag "$(tail -n 20 "$tmp/$part.err")"
	fi
	diag "  ($part oracle: $((SECONDS - started))s)"
}

missing() {   # missing PART WHAT
	if [ "${CI:-}" = true ]; then
		fail "$1 oracle: missing $2 (run 'make deps')"
	else
		skip "$1 oracle" "missing $2 (run 'make deps')"
		diag "SKIPPING the $1 oracle: missing $2 (run 'make deps')"
	fi
}

if [ -n "$need_systemd" ]; then
	missing systemd "$need_systemd"
else
	run_oracle systemd
fi

if [ -n "$need_cron" ]; then
	missing cron "$need_cron"
else
	run_oracle cron
fi

done_testing
