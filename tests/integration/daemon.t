#!/usr/bin/env bash
# `upkeep daemon` under a fixed clock: a window that opens 2 s after the
# daemon starts gets its job run on time; SIGHUP reloads the config (and
# keeps the old one when upkeep.yaml is broken, leaves out only a broken
# job); SIGTERM during a step stops that step's tree, starts no other,
# writes the report (interrupted by SIGTERM) and exits 0; so does Ctrl-C
# in its terminal, once (a graceful stop, not a kill). Checked
# from run records (python3 json), the file system and the daemon's log.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: sunday\nstart: "Sun *-*-* 02:00"\nduration: 2h\ncutoff: 15m\n' >"$cfg/schedules/sunday.yaml"
cat >"$cfg/jobs/x.yaml" <<YAML
job: x
windows: [sunday]
steps:
  - { name: mark, kind: command, run: [touch, "$tmp/ran"] }
  - { name: hold, kind: command, run: [sh, -c, "touch $tmp/holding; sleep 2; touch $tmp/held"], timeout: 1m }
  - { name: after, kind: command, run: [touch, "$tmp/after"] }
YAML
log=$tmp/daemon.log
"$UPKEEP" --config "$cfg" --now '2026-11-22 01:59:58' daemon >"$log" 2>&1 &
daemon=$!
stop_daemon() { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; }
tap_at_exit stop_daemon
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

ok "the job started when the window opened" wait_for "$tmp/ran"
like "$(cat "$log")" "sleeping until window 'sunday' opens: Sun 2026-11-22 02:00:00 UTC" "it slept until the opening"
ok "the second step is running" wait_for "$tmp/holding"

# SIGTERM in the middle of a step: that step is stopped, no other starts.
kill -HUP "$daemon"
kill -TERM "$daemon"
wait "$daemon"
is "$?" 0 "SIGTERM: the daemon exits 0"
sleep 2.5
ok "the running step was stopped (it never reached its end)" test ! -e "$tmp/held"
ok "no later step started" test ! -e "$tmp/after"
rec=$("$UPKEEP" --config "$cfg" report --json)
is "$(printf '%s' "$rec" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["status"], r["window"]["start"], r["steps"][0]["started"], [s["status"] for s in r["steps"]])')" \
   "interrupted 2026-11-22T02:00:00Z 2026-11-22T02:00:00Z ['ok', 'interrupted', 'skipped']" "record: interrupted, started at the opening"
is "$(printf '%s' "$rec" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["signal"])')" SIGTERM "record: the signal that stopped it"
like "$(cat "$log")" "daemon stopped" "it says it stopped"

# SIGHUP: reload, and keep the old config when the new one is broken.
: >"$log"
"$UPKEEP" --config "$cfg" --now '2026-11-22 05:00' daemon >"$log" 2>&1 &
daemon=$!
for _ in $(seq 50); do grep -q sleeping "$log" && break; sleep 0.1; done
printf 'job: y\nwindows: [sunday]\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' >"$cfg/jobs/y.yaml"
kill -HUP "$daemon"
for _ in $(seq 50); do grep -q reloaded "$log" && break; sleep 0.1; done
like "$(cat "$log")" "config reloaded \\(1 window, 2 jobs\\)" "SIGHUP reloads the config"
printf 'job: z\nsteps: [\n' >"$cfg/jobs/z.yaml"
kill -HUP "$daemon"
for _ in $(seq 50); do grep -q "left out" "$log" && break; sleep 0.1; done
like "$(cat "$log")" "1 job is left out for the problems above; the others are scheduled" "a broken job file leaves out its job only"
is "$(grep -c 'config reloaded (1 window, 2 jobs)' "$log")" 2 "the others are reloaded"
rm -f "$cfg/jobs/z.yaml"
printf 'step_timeot: 5m\n' >"$cfg/upkeep.yaml"
kill -HUP "$daemon"
for _ in $(seq 50); do grep -q "reload failed" "$log" && break; sleep 0.1; done
like "$(cat "$log")" "config reload failed; keeping the config that was loaded" "a broken upkeep.yaml is reported, the old config kept"
ok "the daemon is still running" kill -0 "$daemon"
rm -f "$cfg/upkeep.yaml"
kill -TERM "$daemon"
wait "$daemon"
is "$?" 0 "stopped cleanly while asleep"
ok "no process of the job is left" sh -c "! pgrep -f '$tmp/holdin[g]' >/dev/null"

# Ctrl-C typed into the daemon's terminal (tmux send-keys: SIGINT to the
# terminal's foreground process group). The run is in a child process of
# its own group, which the daemon passes the signal on to: it must arrive
# once, a graceful stop (the step's SIGTERM trap has time to finish), not
# twice (at once SIGKILL).
if command -v tmux >/dev/null; then
	c2=$tmp/c2
	mkdir -p "$c2/schedules" "$c2/jobs"
	cp "$cfg/schedules/sunday.yaml" "$c2/schedules/"
	cat >"$c2/jobs/t.yaml" <<YAML
job: t
windows: [sunday]
steps:
  - { name: trap, kind: command, shell: "trap '' INT; trap 'sleep 1; touch $tmp/graceful; exit 0' TERM; touch $tmp/t-holding; sleep 30 & wait", timeout: 1m }
  - { name: after, kind: command, run: [touch, "$tmp/t-after"] }
YAML
	sock=$tmp/tmux.sock
	tmux -S "$sock" new-session -d -x 200 -y 50 \
		"'$UPKEEP' --config '$c2' --now '2026-11-22 02:00' daemon >'$tmp/c2.log' 2>&1; echo \$? >'$tmp/c2.rc'; sleep 60" \
		</dev/null >/dev/null 2>&1 11>&- 12>&- 251>&-	# the server must not hold TAP's pipes
	tmux_pid=$(tmux -S "$sock" display-message -p '#{pid}')
	stop_tmux() { kill "$tmux_pid" 2>/dev/null; return 0; }
	tap_at_exit stop_tmux
	ok "Ctrl-C: the step is running" wait_for "$tmp/t-holding"
	sleep 0.3
	tmux -S "$sock" send-keys C-c
	ok "Ctrl-C: the daemon exits" wait_for "$tmp/c2.rc"
	is "$(cat "$tmp/c2.rc")" 0 "Ctrl-C: exit 0"
	ok "Ctrl-C: the step was stopped gracefully (its TERM trap ran to the end)" test -e "$tmp/graceful"
	ok "Ctrl-C: no later step started" test ! -e "$tmp/t-after"
	rec=$("$UPKEEP" --config "$c2" report --json)
	is "$(printf '%s' "$rec" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["status"], r["signal"], r["steps"][1]["status"])')" \
	   "interrupted SIGINT skipped" "Ctrl-C: the record says interrupted by SIGINT"
elif [ "${CI:-}" = true ]; then
	fail "tmux is missing (run 'make deps')"
else
	skip "Ctrl-C in the daemon's terminal" "tmux is missing"
fi

# contrib/: the shipped systemd units pass systemd-analyze verify (with
# ExecStart pointed at the binary under test), and a broken one does not.
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$tmp/units"
	for f in "$repo"/contrib/*.service "$repo"/contrib/*.timer; do
		sed "s|/usr/local/bin/upkeep|$UPKEEP|" "$f" >"$tmp/units/${f##*/}"
	done
	run systemd-analyze verify "$tmp"/units/upkeep.service "$tmp"/units/upkeep-due.service "$tmp"/units/upkeep-due.timer
	is "$rc:$out$err" "0:" "contrib units verify cleanly"
	sed -i 's|^ExecStart=.*|ExecStart=upkeep-not-absolute daemon|' "$tmp/units/upkeep.service"
	run systemd-analyze verify "$tmp/units/upkeep.service"
	isnt "$rc:$out$err" "0:" "a broken unit does not (the check can fail)"
elif [ "${CI:-}" = true ]; then
	fail "systemd-analyze is missing (run 'make deps')"
else
	skip "contrib units verify cleanly" "systemd-analyze is missing"
fi

done_testing
