#!/usr/bin/env bash
# `upkeep next` on the shipped windows, checked against systemd-analyze
# (an independent implementation of the same calendar syntax), blackout
# dates, the fixed clock (--now / UPKEEP_NOW) and bad input.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if ! command -v systemd-analyze >/dev/null; then
	if [ "${CI:-}" = true ]; then
		fail "systemd-analyze is missing (run 'make deps')"
	else
		skip_all "systemd-analyze is missing (run 'make deps')"
	fi
fi

# The table: the Sunday window first, with its cutoff, end and job.
run "$UPKEEP" --config "$repo" --now '2026-11-22 00:00' next -n 3
is "$rc" 0 "next exits 0"
like "$out" "next 3 openings after Sun 2026-11-22 00:00:00 UTC" "says from when"
like "$out" "sunday +Sun 2026-11-22 02:00:00 UTC +2026-11-22T02:00:00Z +03:45 +04:00 +2h 0m +weekly" "Sunday window row"
like "$out" "nightly +Mon 2026-11-23 02:00:00 UTC" "nightly skips Sunday"

# UPKEEP_NOW does what --now does.
run env UPKEEP_NOW='2026-11-22 00:00' "$UPKEEP" --config "$repo" next -n 1 --json
is "$rc" 0 "next --json with UPKEEP_NOW"
is "$($PY -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["window"], d[0]["start"]["utc"], d[0]["cutoff"]["utc"], d[0]["end"]["utc"], d[0]["jobs"])' <"$tmp/out")" \
   "sunday 2026-11-22T02:00:00Z 2026-11-22T03:45:00Z 2026-11-22T04:00:00Z ['weekly']" "JSON fields"

# The Sunday window against systemd-analyze, skipping the blackout date.
run "$UPKEEP" --config "$repo" next sunday -n 8 --from '2026-12-01 00:00' --json
ours=$($PY -c 'import json,sys; print(" ".join(o["start"]["epoch"].__str__() for o in json.load(sys.stdin)))' <"$tmp/out")
theirs=$(systemd-analyze calendar --iterations=9 --base-time='2026-12-01 00:00 UTC' 'Sun *-*-* 02:00 UTC' |
	 sed -n 's/.*\(Next elapse\|Iter\. #[0-9]*\): *//p' | grep -v '2026-12-27' | head -8 |
	 while read -r line; do date -d "$line" +%s; done | tr '\n' ' ' | sed 's/ $//')
is "$ours" "$theirs" "sunday openings agree with systemd-analyze, 2026-12-27 blacked out"

# Errors.
run "$UPKEEP" --now 'next sunday' --config "$repo" next
is "$rc" 2 "a bad --now is a usage error"
like "$err" "upkeep: --now: cannot read the time 'next sunday'" "a bad --now is named"
run env UPKEEP_NOW=yesterday "$UPKEEP" --config "$repo" next
is "$rc" 2 "a bad UPKEEP_NOW is a usage error"
like "$err" "upkeep: UPKEEP_NOW: cannot read the time 'yesterday'" "a bad UPKEEP_NOW is named"
run "$UPKEEP" --config "$repo" next sundy
is "$rc" 2 "an unknown window is a usage error"
like "$err" "no window 'sundy' \\(did you mean 'sunday'\\?\\)" "unknown window suggests"
run "$UPKEEP" next --spec '*-02-30'
is "$rc" 2 "a spec that never matches is refused"
like "$err" "it never matches a real date" "never-matching spec explained"
run "$UPKEEP" next --spec daily --timezone Mars/Olympus
is "$rc" 2 "an unknown zone is refused"
run "$UPKEEP" next -n 0 --spec daily
is "$rc" 2 "-n 0 is refused"

done_testing
