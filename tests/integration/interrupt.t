#!/usr/bin/env bash
# Ctrl-C on a manual `upkeep run`, typed for real into a terminal (tmux
# send-keys C-c: the terminal sends SIGINT to its foreground process
# group), and SIGTERM and SIGHUP sent to it. Each time: the running step's
# whole tree stops (setsid'd descendants included, checked in /proc), no
# further step starts, the record says `interrupted` naming the signal, the
# report and the webhook are there, the lock is free, and the exit code is
# 128 + the signal. A second Ctrl-C kills a tree that ignores SIGTERM at
# once, and the record is still written.
set -uo pipefail
. "$(dirname "$0")/../lib/servers.sh"
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if ! command -v tmux >/dev/null; then
	[ "${CI:-}" = true ] && { fail "tmux is missing: run 'make deps'"; done_testing; exit 1; }
	skip_all "tmux is missing (make deps installs it)"
fi
http_start

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 00:00"\nduration: 23h\n' >"$cfg/schedules/w.yaml"
cat >"$cfg/upkeep.yaml" <<YAML
kill_grace: 20s
notify:
  - { name: ops, url: "$HTTP_FIXTURE/hooks/json/x", format: json, on: [failure] }
YAML
# job NAME MARKER [TRAP]: a step whose tree escapes (a setsid'd sleep and
# a plain one, both with a marker duration /proc can tell apart), then a
# step that must never start.
job() {
	cat >"$cfg/jobs/$1.yaml" <<YAML
job: $1
windows: [w]
steps:
  - { name: long, kind: command, shell: "${3:-} setsid sleep $2 </dev/null >/dev/null 2>&1 & echo \$\$ >$tmp/$1.pid; sleep $2", timeout: 10m }
  - { name: after, kind: command, run: [touch, "$tmp/$1.after"] }
YAML
}
alive() { pgrep -f "^sleep $1\$" | tr '\n' ' '; }
record() { ls -t "$cfg"/reports/runs/2026/*Z-"$1"-*.json 2>/dev/null | head -1; }
field() { "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$(record "$1")" "$2"; }
wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

# check NAME MARKER SIGNAL CODE: the aftermath of one interrupted run.
check() {
	local name=$1 marker=$2 sig=$3 code=$4
	is "$(cat "$tmp/$name.rc" 2>/dev/null)" "$code" "$name: exit $code (128 + $sig)"
	is "$(field "$name" '(r["status"], r.get("signal"))')" "('interrupted', '$sig')" "$name: the record says interrupted by $sig"
	is "$(field "$name" '[(s["name"], s["status"]) for s in r["steps"]]')" "[('long', 'interrupted'), ('after', 'skipped')]" "$name: the step in flight stopped, the next one never started"
	ok "$name: the next step did not run" test ! -e "$tmp/$name.after"
	ok "$name: a Markdown report" test -f "${cfg}/reports/runs/2026/$(basename "$(record "$name")" .json).md"
	sleep 0.3
	is "$(alive "$marker")" "" "$name: nothing of the step's tree is left (setsid'd ones included)"
	is "$(find "$cfg/state/journal" -type f 2>/dev/null | wc -l)" 0 "$name: no journal left"
	run "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' plan "$name"
	run flock -n "$cfg/state/upkeep.lock" true
	is "$rc" 0 "$name: the lock is free"
	like "$(http_requests)" "interrupted" "$name: the webhook heard it was interrupted"
	http_reset
}

# ---- a real Ctrl-C in a terminal ---------------------------------------------
job a 311
sock=$tmp/tmux.sock
tmux -S "$sock" new-session -d -x 200 -y 50 \
	"'$UPKEEP' --config '$cfg' --now '2026-11-22 02:00' run a; echo \$? >'$tmp/a.rc'; sleep 60" \
	</dev/null >/dev/null 2>&1 11>&- 12>&- 251>&-	# the server must not hold TAP's pipes
# By pid: the scratch directory holding the socket may be gone at exit.
tmux_pid=$(tmux -S "$sock" display-message -p '#{pid}')
stop_tmux() { kill "$tmux_pid" 2>/dev/null || true; }
tap_at_exit stop_tmux
wait_file "$tmp/a.pid"
sleep 0.3
tmux -S "$sock" send-keys C-c
wait_file "$tmp/a.rc"
check a 311 SIGINT 130
like "$(tmux -S "$sock" capture-pane -p)" "stopped by SIGINT" "the terminal shows why the run stopped"

# ---- SIGTERM and SIGHUP ------------------------------------------------------
for sig in TERM:143 HUP:129; do
	name=t${sig%%:*}; name=${name,,}
	job "$name" 312
	("$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run "$name" >/dev/null 2>&1; echo $? >"$tmp/$name.rc") &
	wait_file "$tmp/$name.pid"
	sleep 0.3
	pkill -"${sig%%:*}" -f "^$UPKEEP --config $cfg --now 2026-11-22 02:00 run $name\$"
	wait_file "$tmp/$name.rc"
	check "$name" 312 "SIG${sig%%:*}" "${sig##*:}"
done

# ---- SIGTERM during validation: interrupted, not a failed validation ----------
cat >"$cfg/jobs/v.yaml" <<YAML
job: v
windows: [w]
steps:
  - { name: s, kind: command, run: ["true"] }
validate:
  - { name: slow, kind: command, shell: "echo \$\$ >$tmp/v.pid; exec sleep 314", timeout: 1m }
  - { name: after, kind: command, run: [touch, "$tmp/v.after"] }
YAML
("$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run v >/dev/null 2>&1; echo $? >"$tmp/v.rc") &
wait_file "$tmp/v.pid"
pkill -TERM -f "^$UPKEEP --config $cfg --now 2026-11-22 02:00 run v\$"
wait_file "$tmp/v.rc"
is "$(cat "$tmp/v.rc")" 143 "SIGTERM during validation: exit 143"
is "$(field v '(r["status"], r.get("signal"), "rollback" in r)')" "('interrupted', 'SIGTERM', False)" \
	"interrupted by SIGTERM, not failed, and no rollback asked for"
ok "no check started after the signal" test ! -e "$tmp/v.after"
is "$(alive 314)" "" "the check's process is gone"
http_reset

# ---- a tree that ignores SIGTERM: the second Ctrl-C kills it at once -----------
job b 313 "trap '' TERM;"
tmux -S "$sock" new-window -d \
	"'$UPKEEP' --config '$cfg' --now '2026-11-22 02:00' run b; echo \$? >'$tmp/b.rc'; sleep 60"
wait_file "$tmp/b.pid"
sleep 0.3
start=$(date +%s)
tmux -S "$sock" send-keys -t :1 C-c
sleep 1
ok "after one Ctrl-C the stubborn tree is still in its grace period" test -n "$(alive 313)"
tmux -S "$sock" send-keys -t :1 C-c
wait_file "$tmp/b.rc"
cmp_ok "$(( $(date +%s) - start ))" -lt 10 "the second Ctrl-C did not wait for the 20s grace"
check b 313 SIGINT 130
kill "$tmux_pid" 2>/dev/null

done_testing
