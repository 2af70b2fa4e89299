# shellcheck shell=bash
# tests/lib/notap.sh - lets a script that is not a test (scripts/demo.sh)
# use the test servers of servers.sh: the few tap.sh functions servers.sh
# calls, without TAP output. Source it before servers.sh. A fixture that
# cannot start prints why and ends the script (status 1); the servers are
# stopped at exit as in the tests.

[ -n "${_TAP_SH_LOADED:-}" ] && return 0
_TAP_SH_LOADED=1
_tap_planned=done
_tap_count=0
_tap_failed=0
exec {_tap_fd_out}>&1 {_tap_fd_err}>&2
_tap_exit_hooks=()

diag() { printf '%s\n' "$@" >&2; }
fail() { printf 'error: %s\n' "$1" >&2; _tap_failed=$((_tap_failed + 1)); }
skip_all() { printf 'error: %s\n' "$*" >&2; exit 1; }
bail_out() { printf 'error: %s\n' "$*" >&2; exit 1; }
tap_at_exit() { _tap_exit_hooks+=("$1"); }
_notap_on_exit() {
	local rc=$? i
	for ((i = ${#_tap_exit_hooks[@]} - 1; i >= 0; i--)); do
		"${_tap_exit_hooks[i]}" || true
	done
	exit "$rc"
}
trap _notap_on_exit EXIT
