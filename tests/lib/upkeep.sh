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
