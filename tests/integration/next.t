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

# Specs systemd reads one way and upkeep once read another (issue 15,
# item 13): "~*" is every day, twice a year has four spellings.
sd_epochs() {	# sd_epochs SPEC: the next 6 matches after the base, epochs
	systemd-analyze calendar --iterations=6 --base-time='2026-12-29 12:00 UTC' "$1 UTC" |
		sed -n 's/.*\(Next elapse\|Iter\. #[0-9]*\): *//p' |
		while read -r line; do date -d "$line" +%s; done | tr '\n' ' ' | sed 's/ $//'
}
for spec in '*-*~*' '*-*~* 05:00' '*-02~*' 'semi-annually' 'bi-annually' 'biannually' 'semiannually' 'anually'; do
	run "$UPKEEP" next --spec "$spec" -n 6 --from '2026-12-29 12:00' --json
	ours=$($PY -c 'import json,sys; print(" ".join(str(o["epoch"]) for o in json.load(sys.stdin)[0]["openings"]))' <"$tmp/out")
	is "$rc:$ours" "0:$(sd_epochs "$spec")" "'$spec' agrees with systemd-analyze"
done

# Errors.
run "$UPKEEP" --now 'next sunday' --config "$repo" next
is "$rc" 2 "a bad --now is a usage error"
like "$err" "upkeep: --now: cannot read the time 'next sunday'" "a bad --now is named"
run env UPKEEP_NOW=yesterday "$UPKEEP" --config "$repo" next
is "$rc" 2 "a bad UPKEEP_NOW is a usage error"
like "$err" "upkeep: UPKEEP_NOW: cannot read the time 'yesterday'" "a bad UPKEEP_NOW is named"
# Impossible dates and times are refused, naming the field and why
# (they used to become March 1st, and '25:00' was blamed without a reason).
run "$UPKEEP" --now '2026-02-29' --config "$repo" next
is "$rc:$err" "2:upkeep: --now: cannot read the time '2026-02-29': there is no 2026-02-29 (February 2026 has 28 days)" \
   "--now 2026-02-29 is refused: February 2026 has 28 days"
run env UPKEEP_NOW='2026-02-29 02:00' "$UPKEEP" --config "$repo" next
is "$rc:$err" "2:upkeep: UPKEEP_NOW: cannot read the time '2026-02-29 02:00': there is no 2026-02-29 (February 2026 has 28 days)" \
   "so is UPKEEP_NOW=2026-02-29 02:00"
run "$UPKEEP" --config "$repo" next --from '2026-10-01 25:00'
is "$rc" 2 "--from with hour 25 is a usage error"
like "$err" "^upkeep next: --from: cannot read the time '2026-10-01 25:00': the hour must be 0 to 23, not 25" \
     "--from 25:00: the hour must be 0 to 23"
run "$UPKEEP" --config "$repo" next --from '2026-10-01 23:61'
like "$rc:$err" "^2:upkeep next: --from: cannot read the time '2026-10-01 23:61': the minute must be 0 to 59, not 61" \
     "--from 23:61: the minute must be 0 to 59"
run "$UPKEEP" --config "$repo" next --from '2026-04-31 00:00'
like "$rc:$err" "^2:upkeep next: --from: cannot read the time '2026-04-31 00:00': there is no 2026-04-31 \\(April 2026 has 30 days\\)" \
     "--from 2026-04-31: April has 30 days"

# A clock past what the calendar covers is refused, exit 2, before any
# command runs: no record is written (such a call used to overflow in
# clock.c and record 100 windows as missed each time).
mkdir -p "$tmp/cfg/schedules" "$tmp/cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$tmp/cfg/schedules/w.yaml"
printf 'job: j\nwindows: [w]\nsteps:\n  - { name: s, kind: command, run: ["true"], timeout: 1m }\n' >"$tmp/cfg/jobs/j.yaml"
run "$UPKEEP" --config "$tmp/cfg" --now '2026-11-22 00:30' run --due -q
is "$rc" 0 "a run --due at a sane time works"
run "$UPKEEP" --config "$tmp/cfg" --now @9223372036854775807 run --due
is "$rc:$err" "2:upkeep: --now: cannot read the time '@9223372036854775807': it is past the year 9999 (Unix seconds go up to @253402300799)" \
   "--now @INT64_MAX is refused, exit 2"
run env UPKEEP_NOW=@99999999999 "$UPKEEP" --config "$tmp/cfg" run --due
is "$rc:$err" "2:upkeep: UPKEEP_NOW: cannot use '@99999999999': it is outside the years upkeep's calendar covers (1970-01-01 to 2199-12-31, UTC)" \
   "UPKEEP_NOW in year 5138 is refused, exit 2"
run timeout 20 "$UPKEEP" --config "$tmp/cfg" --now '2200-01-01 00:00' daemon
is "$rc:$err" "2:upkeep: --now: cannot use '2200-01-01 00:00': it is outside the years upkeep's calendar covers (1970-01-01 to 2199-12-31, UTC)" \
   "the daemon refuses a clock in 2200 too"
is "$(find "$tmp/cfg/reports/runs" -path '*/.index' -prune -o -name '*.json' ! -name '.*' -print | wc -l)" 1 \
   "only the sane run left a record (nothing recorded missed)"
run "$UPKEEP" --config "$tmp/cfg" --now '2199-12-31 23:59:59' next
is "$rc:$out" "0:no window opens after this (no windows, or all their openings are in the past)" \
   "the last second the calendar covers is accepted"
run "$UPKEEP" next --spec daily --from @253402300799
is "$rc:$out" "0:daily (UTC)
  (no more matches)" "--from in 9999: no match, no overflow"

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
