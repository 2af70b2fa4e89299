#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/daemon-rss.t - the idle daemon stays small after it has
# run jobs (issue 21 item 4): each pass runs in a child process, so libpq
# and libcurl, loaded for a run's postgres check and its webhook, leave
# with it. A daemon under a fixed clock runs a job across a real opening
# (a postgres check against the PostgreSQL fixture, a webhook to the HTTP
# fixture); afterwards /proc/PID/maps of the daemon must hold none of the
# four lazily loaded libraries and its VmRSS must be under 4 MB (not on a
# sanitizer build, whose runtime alone is larger). Then a job added on
# SIGHUP, whose step kills the process it runs in: the daemon logs it and
# goes on, and the next `upkeep status` closes that run as interrupted.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

pg_start
http_start

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: sunday\nstart: "Sun *-*-* 02:00"\nduration: 2h\n' >"$cfg/schedules/sunday.yaml"
cat >"$cfg/upkeep.yaml" <<YAML
notify:
  - { name: ops, url: "$HTTP_FIXTURE/hooks/json/rss", format: json, on: [success] }
YAML
cat >"$cfg/jobs/a.yaml" <<YAML
job: a
windows: [sunday]
prechecks:
  - { name: db, kind: postgres, dsn: "dbname=postgres", query: "select 1", expect: "1" }
steps:
  - { name: s, kind: command, run: ["true"] }
YAML
log=$tmp/daemon.log
"$UPKEEP" --config "$cfg" --now '2026-11-22 01:59:58' daemon >"$log" 2>&1 &
daemon=$!
stop_daemon() { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; return 0; }
tap_at_exit stop_daemon
# sleeps N: waits until the daemon has said "sleeping until" N times.
sleeps() { for _ in $(seq 300); do [ "$(grep -c 'sleeping until' "$log")" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$daemon/status"; }
lazy_maps() { grep -oE 'lib(pq|curl|git2|crypto)\.so[.0-9]*' "/proc/$daemon/maps" | sort -u | tr '\n' ' '; }
sanitized=false
[[ $(ldd "$UPKEEP") =~ lib(asan|ubsan) ]] && sanitized=true

ok "the daemon sleeps until the opening" sleeps 1
diag "idle daemon, fresh: VmRSS $(rss_kb) kB"
ok "the pass ran and the daemon sleeps again" sleeps 2

# field JOB EXPR: EXPR of job JOB's record r (python3 reads the file).
field() { "$PY" -c 'import glob,json,sys; r=json.load(open(glob.glob(sys.argv[1])[0])); print(eval(sys.argv[2]))' "$cfg/reports/runs/2026/*Z-$1-*.json" "$2" 2>&1; }
is "$(field a '(r["status"], [(c["name"], c["passed"]) for c in r["prechecks"]])')" \
   "('succeeded', [('db', True)])" "job a ran, its postgres check passed"
like "$(http_requests)" '"/hooks/json/rss"' "the webhook reached the HTTP fixture"

is "$(lazy_maps)" "" "after the run the daemon maps none of libpq, libcurl, libgit2, libcrypto"
rss=$(rss_kb)
diag "idle daemon, after a run: VmRSS $rss kB"
if $sanitized; then
	skip "VmRSS under 4 MB after a run" "a sanitizer build's runtime is larger than that"
else
	ok "VmRSS under 4 MB after a run ($rss kB)" test "$rss" -lt 4096
fi

# A job added while the window is open: the reload's pass runs it. Its
# step kills the process that runs it (SIGKILL: nothing is written).
cat >"$cfg/jobs/b.yaml" <<YAML
job: b
windows: [sunday]
steps:
  - { name: die, kind: command, run: [sh, -c, 'kill -KILL \$PPID; sleep 5'] }
YAML
kill -HUP "$daemon"
ok "the reload's pass ran and the daemon sleeps again" sleeps 3
like "$(cat "$log")" "the process running the due jobs \\(pid [0-9]+\\) was killed by signal 9" \
     "the pass whose process was killed is logged"
ok "the daemon is still running" kill -0 "$daemon"
unlike "$(cat "$log")" "LeakSanitizer|runtime error" "no sanitizer report in the log"
run "$UPKEEP" --config "$cfg" status
is "$(field b '(r["status"], [(s["name"], s["status"]) for s in r["steps"]])')" \
   "('interrupted', [('die', 'interrupted')])" "the killed run is closed as interrupted by the next upkeep"

kill -TERM "$daemon"
wait "$daemon"
is "$?" 0 "SIGTERM: the daemon exits 0"

done_testing
