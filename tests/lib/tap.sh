# shellcheck shell=bash source-path=SCRIPTDIR
# tests/lib/tap.sh - a tiny TAP producer for the bash integration tests.
#
# What it is for: giving `prove` well-formed TAP from a bash script, with
# Test::More's vocabulary (plan, done_testing, ok, is, like, diag, bail_out,
# skip_all) and Test::More's failure output (got/want as `# ` lines on
# stderr), plus one EXIT trap that runs registered clean-up hooks and makes
# the exit status honest.  What it is not for: starting servers (that is
# servers.sh, which sources this file) or anything clever - it is a few
# counters and printf.
#
# Usage:
#     . "$(dirname "$0")/../lib/tap.sh"
#     ok   "psql answers"        psql -c 'select 1'
#     fails "psql refused after stop" psql -c 'select 1'
#     is   "$(cat f)" "hello"    "file content"
#     like "$out" '^HTTP/1.1 503' "status line"
#     done_testing               # or `plan N` up front
#
# Conventions:
#   - Assertions return 0 when they pass and 1 when they fail, like
#     Test::More, so `ok ... || bail_out "..."` stops a test whose remaining
#     steps make no sense.  Do not run tests under `set -e`: a failed
#     assertion would end the script there (the EXIT trap still tears down
#     and reports it, but the later results are lost).  `set -uo pipefail`
#     is fine.
#   - Call assertions in the test's main shell, not inside $(...) or a
#     pipeline: a subshell's counters are lost.
#   - Exit status: 0 when every test passed and the plan was met; otherwise
#     the number of failures (at most 254), or 255 for a bad plan or a
#     bail-out, or the script's own non-zero status if it died.
#   - TAP output goes to copies of stdout/stderr taken when this file is
#     sourced (fds $_tap_fd_out/$_tap_fd_err), so it is never captured by mistake.
#   - Clean-up: `tap_at_exit FUNC` registers FUNC to run from the EXIT trap
#     (last registered runs first) before the plan is checked.  Do not set
#     your own EXIT trap - register a hook instead.

[ -n "${_TAP_SH_LOADED:-}" ] && return 0
_TAP_SH_LOADED=1

_tap_count=0          # tests run so far
_tap_failed=0         # of which failed
_tap_planned=""       # N from `plan N`, or "done" after done_testing
_tap_skipped_all=""   # set by skip_all
_tap_bailed=""        # set by bail_out
_tap_exit_hooks=()    # functions run by the EXIT trap, last first

# TAP goes to copies of the script's stdout/stderr taken now, so results
# still reach prove when an assertion runs inside `ok`'s output capture (or
# a test redirects stdout).  Long-lived children should not inherit these:
# servers.sh closes them for the servers it starts.
exec {_tap_fd_out}>&1 {_tap_fd_err}>&2

# plan N - announce N tests up front.
plan() {
	if [ -n "$_tap_planned" ]; then
		bail_out "plan called twice"
	fi
	_tap_planned=$1
	printf '1..%d\n' "$1" >&"$_tap_fd_out"
}

# done_testing [N] - announce the plan at the end (checks N if given).
done_testing() {
	if [ -n "${1:-}" ] && [ "$1" -ne "$_tap_count" ]; then
		_tap_fail_line "planned to run $1 tests but done_testing() was called after $_tap_count"
	fi
	if [ -z "$_tap_planned" ]; then
		printf '1..%d\n' "$_tap_count" >&"$_tap_fd_out"
	fi
	_tap_planned="done"
}

# diag MSG... - diagnostics on stderr (prove shows them even without -v).
# Each argument is one or more lines; each line gets a "# " prefix.
diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&"$_tap_fd_err"
}

# note MSG... - the same on stdout (shown by prove -v only).
note() {
	printf '%s\n' "$@" | sed 's/^/# /' >&"$_tap_fd_out"
}

_tap_result() {   # _tap_result STATUS DESC [DIRECTIVE]
	_tap_count=$((_tap_count + 1))
	local desc=${2//#/\\#}
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s%s\n' "$_tap_count" "$desc" "${3:-}" >&"$_tap_fd_out"
	else
		_tap_failed=$((_tap_failed + 1))
		printf 'not ok %d - %s%s\n' "$_tap_count" "$desc" "${3:-}" >&"$_tap_fd_out"
		# Report the test file's line, not a line inside these libraries.
		local i=1
		while [ "$i" -lt $((${#BASH_SOURCE[@]} - 1)) ] &&
			[[ ${BASH_SOURCE[i]} == */lib/tap.sh || ${BASH_SOURCE[i]} == */lib/servers.sh ]]; do
			i=$((i + 1))
		done
		diag "  Failed test '$2'" "  at ${BASH_SOURCE[i]:-?} line ${BASH_LINENO[i - 1]:-?}."
	fi
}

_tap_fail_line() {  # a failure not tied to an assertion (bad plan, ...)
	_tap_result 1 "$1"
}

# pass DESC / fail DESC - an unconditional result.
pass() { _tap_result 0 "$1"; }
fail() { _tap_result 1 "$1"; return 1; }

# _tap_quote - indent stdin as quoted output under a failure.
_tap_quote() {
	sed 's/^/    | /'
}

# _tap_run CMD... - run CMD in this shell (so functions and variable
# changes work) with stdout+stderr captured in a file; sets _tap_captured (the
# last 20 lines) and _tap_rc.  A file, not $(...): a command that leaves a
# background process holding its stdout must not hang the test.
_tap_run() {
	local f
	f=$(mktemp "${UPKEEP_TEST_TMP:-${TMPDIR:-/tmp}}/tap-out.XXXXXX") || return 1
	"$@" >"$f" 2>&1 </dev/null && _tap_rc=0 || _tap_rc=$?
	_tap_captured=$(tail -n 20 "$f")
	rm -f "$f"
}

# ok DESC CMD [ARGS...] - passes if CMD exits 0; on failure shows the
# command, its exit status and the tail of its output.
ok() {
	local desc=$1
	shift
	_tap_run "$@"
	_tap_result "$_tap_rc" "$desc"
	if [ "$_tap_rc" -ne 0 ]; then
		diag "    command: $(printf '%q ' "$@")" "    exit status: $_tap_rc"
		[ -n "$_tap_captured" ] && diag "$(_tap_quote <<<"$_tap_captured")"
		return 1
	fi
	return 0
}

# fails DESC CMD [ARGS...] - passes if CMD exits non-zero.
fails() {
	local desc=$1
	shift
	_tap_run "$@"
	if [ "$_tap_rc" -ne 0 ]; then
		_tap_result 0 "$desc"
		return 0
	fi
	_tap_result 1 "$desc"
	diag "    command: $(printf '%q ' "$@")" "    expected a non-zero exit status, got 0"
	[ -n "$_tap_captured" ] && diag "$(_tap_quote <<<"$_tap_captured")"
	return 1
}

# is GOT WANT DESC - string equality.
is() {
	if [ "$1" == "$2" ]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "         got: '$1'" "    expected: '$2'"
	return 1
}

# isnt GOT UNWANTED DESC - string inequality.
isnt() {
	if [ "$1" != "$2" ]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "         got: '$1'" "    expected: anything else"
	return 1
}

# like GOT REGEX DESC - GOT matches the extended regular expression REGEX.
like() {
	if [[ $1 =~ $2 ]]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "                  '$1'" "    doesn't match '$2'"
	return 1
}

# unlike GOT REGEX DESC - GOT does not match REGEX.
unlike() {
	if ! [[ $1 =~ $2 ]]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "                  '$1'" "          matches '$2'"
	return 1
}

# cmp_ok GOT OP WANT DESC - numeric comparison, OP one of -eq -ne -lt -le -gt -ge.
cmp_ok() {
	if [[ $1 =~ ^-?[0-9]+$ && $3 =~ ^-?[0-9]+$ ]] && test "$1" "$2" "$3"; then
		_tap_result 0 "$4"
		return 0
	fi
	_tap_result 1 "$4"
	diag "    '$1'" "        $2" "    '$3'"
	return 1
}

# skip DESC REASON - record a skipped test.
skip() {
	_tap_result 0 "$1" " # SKIP ${2:-}"
}

# skip_all REASON - skip the whole test file; only valid before any output.
# Loud on purpose: the reason also goes to stderr.
skip_all() {
	if [ -n "$_tap_planned" ] || [ "$_tap_count" -gt 0 ]; then
		bail_out "skip_all ($1) called after tests had started"
	fi
	_tap_skipped_all=1
	printf '1..0 # SKIP %s\n' "$1" >&"$_tap_fd_out"
	diag "SKIPPING ${0##*/}: $1"
	exit 0
}

# bail_out REASON - stop this test and the whole prove run.
bail_out() {
	_tap_bailed=1
	printf 'Bail out!  %s\n' "$1" >&"$_tap_fd_out"
	exit 255
}

# tap_at_exit FUNC - run FUNC from the EXIT trap (hooks run last-first).
tap_at_exit() {
	_tap_exit_hooks+=("$1")
}

_tap_on_exit() {
	local rc=$? i
	# Hooks first (servers must stop even if the plan is wrong); a failing
	# hook is reported but does not stop the others.
	for ((i = ${#_tap_exit_hooks[@]} - 1; i >= 0; i--)); do
		"${_tap_exit_hooks[i]}" || diag "exit hook ${_tap_exit_hooks[i]} failed"
	done
	_tap_exit_hooks=()

	if [ -n "$_tap_skipped_all" ] || [ -n "$_tap_bailed" ]; then
		exit "$rc"
	fi
	if [ -z "$_tap_planned" ]; then
		# Died (or forgot done_testing) before a plan: still print one so
		# prove reports the failures it saw rather than "no plan".
		printf '1..%d\n' "$_tap_count" >&"$_tap_fd_out"
		diag "looks like ${0##*/} exited with status $rc before done_testing (ran $_tap_count tests)"
		[ "$rc" -eq 0 ] && rc=255
		exit "$rc"
	fi
	if [ "$_tap_planned" != "done" ] && [ "$_tap_planned" -ne "$_tap_count" ]; then
		diag "looks like you planned $_tap_planned tests but ran $_tap_count (exit status $rc)"
		[ "$rc" -eq 0 ] && rc=255
		exit "$rc"
	fi
	if [ "$_tap_failed" -gt 0 ]; then
		diag "looks like you failed $_tap_failed test(s) of $_tap_count"
		exit $((_tap_failed > 254 ? 254 : _tap_failed))
	fi
	if [ "$rc" -ne 0 ]; then
		diag "looks like ${0##*/} exited with status $rc after $_tap_count tests"
	fi
	exit "$rc"
}

trap _tap_on_exit EXIT
# A signal becomes a normal exit, so the EXIT trap (and teardown) runs.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
