#!/bin/sh
# fuzz/run.sh - runs the libFuzzer targets built by `make fuzz-build`.
#
#   fuzz/run.sh [--check] BUILD SECONDS TARGET...
#
# For each TARGET (config, calendar, record, docker, registry): first every
# reproducer committed under fuzz/repro/TARGET/ is replayed once (each is
# an input that crashed once and must not any more), then the target
# fuzzes for SECONDS from its seed corpus fuzz/corpus/TARGET/. New inputs
# go to BUILD/corpus/TARGET/ (kept between `make fuzz` runs; --check, for
# `make check`, starts from the seeds alone each time), never into the
# committed corpus. A crash, leak, undefined behaviour or an input slower
# than 10 s fails the run: the input is left in BUILD/crashes/ and named,
# with the command that replays it. Exit 0, or 1 when a target failed.
set -u

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
if [ $# -lt 3 ]; then
	echo "usage: fuzz/run.sh [--check] BUILD SECONDS TARGET..." >&2
	exit 2
fi
build=$1 secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
failed=""
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

for t in "$@"; do
	bin=$build/fuzz-$t
	seeds=$here/corpus/$t
	crashes=$build/crashes/$t
	scratch=$build/tmp/$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing: run 'make fuzz-build'" >&2
		exit 2
	fi
	mkdir -p "$crashes" "$scratch" "$seeds"
	if [ "$check" = 1 ]; then
		work=$build/tmp/$t-corpus
		rm -rf "$work"
	else
		work=$build/corpus/$t
	fi
	mkdir -p "$work"

	repros=$(find "$here/repro/$t" -type f 2>/dev/null | sort)
	if [ -n "$repros" ]; then
		n=$(echo "$repros" | wc -l)
		echo "fuzz: $t: replaying $n reproducer(s) from fuzz/repro/$t"
		# shellcheck disable=SC2086 # one argument per file
		if ! TMPDIR=$scratch "$bin" -timeout=10 $repros \
		     >"$build/$t-repro.log" 2>&1; then
			tail -n 40 "$build/$t-repro.log" >&2
			echo "fuzz: $t: a reproducer of fuzz/repro/$t crashes again" \
				"(log: $build/$t-repro.log)" >&2
			failed="$failed $t"
			continue
		fi
	fi

	echo "fuzz: $t: ${secs}s from $(ls "$seeds" | wc -l) seeds"
	TMPDIR=$scratch "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$work" "$seeds" \
		>"$build/$t.log" 2>&1
	rc=$?
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' \
		"$build/$t.log" | sed "s/^/fuzz: $t: /"
	if [ "$rc" -ne 0 ]; then
		tail -n 60 "$build/$t.log" >&2
		for f in $(grep -oE "Test unit written to [^ ]+" "$build/$t.log" |
			   sed 's/Test unit written to //'); do
			echo "fuzz: $t: input that fails: $f" >&2
			echo "fuzz: $t: replay: $bin $f" >&2
			echo "fuzz: $t: once fixed, commit it as fuzz/repro/$t/$(basename "$f")" >&2
		done
		echo "fuzz: $t: FAILED (exit $rc; log: $build/$t.log)" >&2
		failed="$failed $t"
	fi
	rm -rf "$scratch"
	[ "$check" = 1 ] && rm -rf "$work"
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed" >&2
	exit 1
fi
echo "fuzz: all targets ran clean: $*"
