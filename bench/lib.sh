# shellcheck shell=bash
# bench/lib.sh - what every bench/*.sh shares: paired, alternating rounds of
# two whole processes (upkeep and the baseline a user would really run),
# the median of the per-round ratios and their spread, failed trials
# counted as failures, and the one results table `make bench` ends with.
# It is not a test library: nothing here asserts, and the figures stay out
# of the test suite (issue 21).
#
# Source it after tests/lib/servers.sh when the script needs servers (the
# temporary files then live, and die, with the servers' directory).
#
#   bench_compare -m MEASURE -b BASELINE -g GOAL -u UPKEEP_FN -B BASE_FN
#                 [-p PREP_FN] [-c CHECK_FN]
#       BENCH_ROUNDS rounds (5); odd rounds run upkeep first, even rounds
#       the baseline first, so caches and a busy neighbour favour neither.
#       Each side is a function timed as a whole; it must return non-zero
#       when it failed (set -e does not apply inside it).  PREP_FN SIDE
#       (SIDE is "upkeep" or "base") runs untimed before each side; its
#       failure stops the script, since that is the benchmark's fault.
#       CHECK_FN SIDE runs untimed after each side: non-zero makes that
#       trial a failure (a side that did less work is not faster).  A
#       round with a failed side counts as failed, never as a missing
#       sample.  Appends one row: the median of upkeep/baseline over the
#       rounds that succeeded, their min-max, and the failures.
#   bench_row MEASURE BASELINE VALUE LO HI UNIT GOAL FAILED TRIALS [U_MS B_MS]
#       appends a row measured some other way (a latency, an RSS).
#   bench_time_row MEASURE GOAL  a row of the last comparison's upkeep
#       times (ms), for a goal set in time rather than as a ratio
#   bench_median, bench_minmax   read numbers on stdin
#   bench_end                    prints the table if this script owns it
#
# GOAL is "-" (a figure to read, no goal set), or an operator and a
# number applied to the median: "<= 1.05", "< 1.0", "< 4" (in the row's
# unit).  BENCH_RESULTS names the shared results file; a script run alone
# makes its own and prints its table at the end.
#
# Timing uses bash's $EPOCHREALTIME (no fork per reading).

[ -n "${_BENCH_LIB_LOADED:-}" ] && return 0
_BENCH_LIB_LOADED=1

BENCH_ROUNDS=${BENCH_ROUNDS:-5}
[ "$BENCH_ROUNDS" -ge 1 ] 2>/dev/null || { echo "bench: BENCH_ROUNDS must be a number >= 1" >&2; exit 2; }
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The system python: a pyenv shim takes ~200 ms a call.
if [ -x /usr/bin/python3 ]; then BENCH_PYTHON=/usr/bin/python3; else BENCH_PYTHON=python3; fi
export BENCH_PYTHON

if declare -F tap_at_exit >/dev/null; then
	# servers.sh is loaded: its EXIT hook removes $UPKEEP_TEST_TMP, and
	# its TAP plan is not wanted on stdout.
	BENCH_TMP=$UPKEEP_TEST_TMP/bench
	mkdir -p "$BENCH_TMP"
	exec {_tap_fd_out}>/dev/null
	tap_at_exit done_testing
else
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/upkeep-bench.XXXXXX")
	trap 'rm -rf "$BENCH_TMP"' EXIT
fi
# bench_tmpfs: mounts a tmpfs of the script's own (unmounted at exit) and
# sets BENCH_TMPFS to it; when none can be mounted (not root), BENCH_TMPFS
# is $BENCH_TMP and a note says so.  For a comparison of upkeep with
# itself, whose two sides write the same files: this machine's root
# filesystem is ext4 without a journal, where creating a file passes over
# every inode freed in the last minute (five when its block is dirty),
# reading each one's inode block (fs/ext4/ialloc.c, recently_deleted), so
# runs many times a second pay up to ~1.5 ms a file, on whichever side's
# directory shares a block group with the freed inodes: noise that favours
# one side at random.  A host with a journal (Debian's ext4 default) skips
# that check; on a tmpfs what is left is what the two sides do.
BENCH_TMPFS=
bench_tmpfs() {
	BENCH_TMPFS=$BENCH_TMP/tmpfs
	mkdir -p "$BENCH_TMPFS"
	if mount -t tmpfs -o size=4g tmpfs "$BENCH_TMPFS" 2>/dev/null; then
		_bench_umounts+=("$BENCH_TMPFS")
	else
		echo "bench: cannot mount a tmpfs (not root?): the files stay on $(findmnt -n -o FSTYPE -T "$BENCH_TMP")" >&2
	fi
}
# bench_set_aside PATH...: moves each PATH that exists into $BENCH_TMP/aside
# (a rename: removed with the rest at exit) instead of deleting it, for a
# side that must start each round without the last round's files.
# Deleting them frees inodes that the next round's file creations pay for
# on the host's journal-less ext4 (see above), a cost a host running
# upkeep a few times a day never has; renaming frees none.
_bench_aside=0
bench_set_aside() {
	local p i=0 d=$BENCH_TMP/aside/$((++_bench_aside))
	mkdir -p "$d"
	for p in "$@"; do
		i=$((i + 1))
		[ ! -e "$p" ] || mv "$p" "$d/$i"
	done
}
_bench_umounts=()
_bench_umount_all() {
	local m
	for m in "${_bench_umounts[@]}"; do umount "$m" || umount -l "$m"; done
	_bench_umounts=()
}
if declare -F tap_at_exit >/dev/null; then
	tap_at_exit _bench_umount_all	# before servers.sh removes the files
else
	trap '_bench_umount_all; rm -rf "$BENCH_TMP"' EXIT
fi

if [ -z "${BENCH_RESULTS:-}" ]; then
	BENCH_RESULTS=$BENCH_TMP/results.tsv
	_bench_own_results=1
fi
export BENCH_RESULTS
: >>"$BENCH_RESULTS"

bench_now_us() { echo "${EPOCHREALTIME/./}"; }

# Reads numbers, one a line; prints their median.
bench_median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Reads numbers, one a line; prints "MIN MAX".
bench_minmax() {
	sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) print lo, hi; else print "- -" }'
}

bench_row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" \
		"$6" "$7" "$8" "$9" "${10:--}" "${11:--}" >>"$BENCH_RESULTS"
}

# bench_tool NAME: prints the path of bench/tools/NAME.c built for this
# machine (built on first use; LIBS in the source's "link:" line).
bench_tool() {
	local src=$BENCH_DIR/tools/$1.c out=${BENCH_TOOLS:-$BENCH_DIR/../build/bench-tools}/$1 libs
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
		mkdir -p "$(dirname "$out")"
		libs=$(sed -n 's/^ \* link: //p' "$src")
		# shellcheck disable=SC2086 # libs is a word list
		${CC:-cc} -O2 -Wall -Wextra -Werror -o "$out" "$src" $libs ||
			{ echo "bench: cannot build $src" >&2; return 1; }
	fi
	realpath "$out"
}

# _bench_side SIDE FN PREP CHECK: runs one timed side; sets _bench_us and
# returns its status (the check's when the side itself succeeded).
_bench_side() {
	local side=$1 fn=$2 prep=$3 check=$4 t0 t1 log=$BENCH_TMP/side.log
	if [ -n "$prep" ] && ! "$prep" "$side" >"$log" 2>&1; then
		echo "bench: preparing the $side side failed:" >&2
		tail -5 "$log" >&2
		exit 1
	fi
	t0=$(bench_now_us)
	if ! "$fn" >"$log" 2>&1; then
		_bench_us=$(($(bench_now_us) - t0))
		_bench_why="exited non-zero: $(tail -1 "$log")"
		return 1
	fi
	t1=$(bench_now_us)
	_bench_us=$((t1 - t0))
	if [ -n "$check" ] && ! "$check" "$side" >"$log" 2>&1; then
		_bench_why="its outcome check failed: $(tail -1 "$log")"
		return 1
	fi
	return 0
}

bench_compare() {
	local OPTIND opt measure='' baseline='' goal=- ufn='' bfn='' prep='' check=''
	local r side us bs failed=0 ok=0 ratios=() utimes=() btimes=() order
	while getopts m:b:g:u:B:p:c: opt; do
		case $opt in
		m) measure=$OPTARG ;; b) baseline=$OPTARG ;; g) goal=$OPTARG ;;
		u) ufn=$OPTARG ;; B) bfn=$OPTARG ;; p) prep=$OPTARG ;; c) check=$OPTARG ;;
		*) echo "bench_compare: bad option" >&2; exit 2 ;;
		esac
	done
	printf '%s vs %s (%d rounds, alternating)\n' "$measure" "$baseline" "$BENCH_ROUNDS"
	for r in $(seq 1 "$BENCH_ROUNDS"); do
		if ((r % 2)); then order="upkeep base"; else order="base upkeep"; fi
		us='' bs=''
		local bad=
		for side in $order; do
			if [ "$side" = upkeep ]; then
				if _bench_side upkeep "$ufn" "$prep" "$check"; then us=$_bench_us
				else bad="${bad:+$bad; }upkeep $_bench_why"; fi
			else
				if _bench_side base "$bfn" "$prep" "$check"; then bs=$_bench_us
				else bad="${bad:+$bad; }baseline $_bench_why"; fi
			fi
		done
		if [ -n "$bad" ]; then
			failed=$((failed + 1))
			printf '  round %d: FAILED (%s)\n' "$r" "$bad"
			continue
		fi
		ok=$((ok + 1))
		ratios+=("$(awk -v u="$us" -v b="$bs" 'BEGIN { printf "%.4f", u / (b > 0 ? b : 1) }')")
		utimes+=("$(awk -v u="$us" 'BEGIN { printf "%.1f", u / 1000 }')")
		btimes+=("$(awk -v b="$bs" 'BEGIN { printf "%.1f", b / 1000 }')")
		printf '  round %d: upkeep %8.1f ms  baseline %8.1f ms  ratio %.3f\n' \
			"$r" "${utimes[-1]}" "${btimes[-1]}" "${ratios[-1]}"
	done
	local med mm um bm
	med=$( ((ok)) && printf '%s\n' "${ratios[@]}" | bench_median || echo -)
	mm=$( ((ok)) && printf '%s\n' "${ratios[@]}" | bench_minmax || echo - -)
	um=$( ((ok)) && printf '%s\n' "${utimes[@]}" | bench_median || echo -)
	bm=$( ((ok)) && printf '%s\n' "${btimes[@]}" | bench_median || echo -)
	printf '  median ratio %s, spread %s, %d of %d rounds failed\n' \
		"$med" "${mm/ /-}" "$failed" "$BENCH_ROUNDS"
	# shellcheck disable=SC2086 # mm is "MIN MAX"
	bench_row "$measure" "$baseline" "$med" $mm x "$goal" "$failed" "$BENCH_ROUNDS" "$um" "$bm"
	bench_last_utimes=("${utimes[@]}") bench_last_failed=$failed
}

# bench_time_row MEASURE GOAL: a row of the last comparison's upkeep
# times themselves (median, min-max, in ms), for a goal in milliseconds.
bench_time_row() {
	local lo hi med=-
	read -r lo hi < <(printf '%s\n' "${bench_last_utimes[@]}" | grep . | bench_minmax)
	[ "$lo" = - ] || med=$(printf '%s\n' "${bench_last_utimes[@]}" | bench_median)
	bench_row "$1" "-" "$med" "$lo" "$hi" ms "$2" "$bench_last_failed" "$BENCH_ROUNDS"
}

# bench_table FILE: the table of every row so far.
bench_table() {
	awk -F '\t' '
	function num(x) { return x ~ /^-?[0-9.]+(e-?[0-9]+)?$/ }
	function fmt(x, unit) {
		if (!num(x)) return x
		if (unit == "x") return sprintf("%.2f", x)
		return sprintf("%.1f %s", x, unit)
	}
	function meets(v, op, lim) {
		return (op == "<=") ? v <= lim : (op == "<") ? v < lim : (op == ">=") ? v >= lim : v > lim
	}
	# On the median; "yes, not every round" when the worst round misses.
	function met(v, worst, goal, failed, trials,   op, lim) {
		if (failed > 0) return sprintf("no (%d of %d failed)", failed, trials)
		if (goal == "-") return "-"
		if (!num(v)) return "no"
		op = goal; sub(/ *[0-9.]+.*$/, "", op)
		lim = goal; sub(/^[<>=]+ */, "", lim); lim += 0
		if (!meets(v, op, lim)) return "no"
		return meets(worst, op, lim) ? "yes" : "yes, not every round"
	}
	{
		n++
		c[n, 1] = $1; c[n, 2] = $2
		c[n, 3] = fmt($3, $6)
		c[n, 4] = num($4) ? fmt($4, $6) "-" fmt($5, $6) : "-"
		sub(/ [a-zA-Z]+-/, "-", c[n, 4])
		c[n, 5] = ($7 == "-") ? "-" : $7 ($6 == "x" ? "" : " " $6)
		c[n, 6] = met($3, ($7 ~ /^</) ? $5 : $4, $7, $8, $9)
		c[n, 7] = ($10 == "-" && $11 == "-") ? "" : (num($10) ? sprintf("%.1f", $10) : $10) " / " (num($11) ? sprintf("%.1f", $11) : $11)
	}
	END {
		split("measure|baseline|median|spread|goal|met|median ms (upkeep / baseline)", h, "|")
		for (j = 1; j <= 7; j++) { w[j] = length(h[j]); c[0, j] = h[j] }
		for (i = 1; i <= n; i++) for (j = 1; j <= 7; j++)
			if (length(c[i, j]) > w[j]) w[j] = length(c[i, j])
		for (i = 0; i <= n; i++) {
			line = ""
			for (j = 1; j <= 7; j++) line = line sprintf("%-*s  ", w[j], c[i, j])
			sub(/ +$/, "", line); print line
			if (!i) { line = ""; for (j = 1; j <= 7; j++) { s = sprintf("%*s", w[j], ""); gsub(/ /, "-", s); line = line s "  " } sub(/ +$/, "", line); print line }
		}
	}' "$1"
}

# Prints the table when this script made the results file itself (run
# alone); under run.sh, run.sh prints the one table at the end.
bench_end() {
	if [ -n "${_bench_own_results:-}" ]; then
		printf '\n'
		bench_table "$BENCH_RESULTS"
	fi
}

# bench_failures FILE: how many failed trials the rows count.
bench_failures() {
	awk -F '\t' '{ n += $8 } END { print n + 0 }' "$1"
}
