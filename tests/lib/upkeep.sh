# shellcheck shell=bash
# tests/lib/upkeep.sh - what every test of the upkeep binary starts with:
# the TAP library, the binary ($UPKEEP, absolute), the repository ($repo),
# a scratch directory ($tmp, removed at exit) and `run`, which captures a
# command's $out, $err and $rc. Sourced by tests/integration/*.t that drive
# upkeep itself (the fixture tests use servers.sh instead).

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tap.sh
. "$here/../lib/tap.sh"
repo=$(cd "$here/../.." && pwd)
UPKEEP=$(realpath "${UPKEEP:-$repo/build/upkeep}")
# The config root and the clock come from these; tests start from neither.
unset UPKEEP_CONFIG UPKEEP_NOW
export UPKEEP_STRICT_RECORDS=1
tmp=$(mktemp -d)
_upkeep_cleanup() { rm -rf "$tmp"; }
tap_at_exit _upkeep_cleanup

# run CMD...: runs CMD, setting $out, $err and $rc.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# other_records_opened CFG NOW JOB - runs `upkeep run JOB` at NOW under
# strace and prints the run records (reports/runs/YYYY/*.json) it opened
# other than its own, one per line; returns the run's exit status.
# (LeakSanitizer cannot run under ptrace: a sanitizer build leaves it off.)
other_records_opened() {
	local trace=$tmp/open-trace rc own
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -e trace=open,openat -o "$trace" "$UPKEEP" --config "$1" \
		--now "$2" run "$3" >/dev/null 2>&1
	rc=$?
	own=$(ls -t "$1"/reports/runs/*/*.json | head -1)
	grep -o 'reports/runs/[0-9]*/[^"]*\.json"' "$trace" |
		grep -v "$(basename "$own")" | sort -u
	return "$rc"
}

# hold_at PATH STRACE-OPTS... -- CMD...: starts CMD in the background (this
# shell's child, so it can be reaped), stopped before it execs; attaches
# strace with STRACE-OPTS (a syscall to delay, e.g. -e trace=openat -e
# inject=openat:delay_enter=60000000) filtered to PATH (as given and
# resolved), then lets it go. CMD is then held at that syscall on PATH:
# from outside, with no hook in upkeep, at the same point every time.
# Sets $held_pid and $tracer_pid; kill both (-9) and wait for them after.
hold_at() {
	local path=$1 opts=()
	shift
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	sh -c 'kill -STOP $$; exec "$@"' sh "$@" >/dev/null 2>&1 &
	held_pid=$!
	for _ in $(seq 200); do
		[ "$(awk '{ print $3 }' "/proc/$held_pid/stat" 2>/dev/null)" = T ] && break
		sleep 0.02
	done
	strace -f -o /dev/null -P "$path" -P "$(realpath -m "$path")" "${opts[@]}" \
		-p "$held_pid" 2>"$tmp/strace.err" &
	tracer_pid=$!
	for _ in $(seq 200); do
		grep -qs attached "$tmp/strace.err" && break
		sleep 0.02
	done
	kill -CONT "$held_pid"
}

# same_as_rebuilt WHAT NOW WEEK: the week's Markdown and collected model
# under $cfg as the runs left them, against those `upkeep report --week`
# at NOW rebuilds from the records once the model is gone (two tests).
same_as_rebuilt() {
	local what=$1 now=$2 week=$3
	local md=$cfg/reports/weekly/$week.md state=$cfg/reports/weekly/$week.model.json
	if [ ! -s "$state" ]; then
		fail "$what: the collected model is kept"
		return
	fi
	grep -v '^[0-9T:Z-]* to .*generated' "$md" >"$tmp/inc.md"
	cp "$state" "$tmp/inc.json"
	rm -f "$state"
	"$UPKEEP" --config "$cfg" --now "$now" report --week "$week" >/dev/null 2>&1
	grep -v '^[0-9T:Z-]* to .*generated' "$md" >"$tmp/full.md"
	is "$(diff "$tmp/inc.md" "$tmp/full.md" && echo same)" same "$what: the Markdown is the rebuilt one"
	is "$("${UPKEEP_PYTHON:-python3}" -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); print("same" if a == b else "differ")' \
		"$tmp/inc.json" "$state")" same "$what: the collected model is the rebuilt one"
}
