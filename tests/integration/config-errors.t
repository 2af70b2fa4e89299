#!/usr/bin/env bash
# tests/integration/config-errors.t - `upkeep check` against malformed and
# hostile config files.
#
# What it is for: proving that the config loader rejects each bad input with
# the exact FILE:LINE:COL: message it should, exits 2, prints nothing on
# stdout, never crashes or hangs, and still accepts the valid tricky ones
# (anchors, merge keys, ${VAR}).  What it is not for: the meaning of a valid
# config (the unit tests and the run tests do that).
#
# Data-driven: every tests/config/cases/*.yaml is one case (format in
# tests/config/README.md).  Each case gets a fresh copy of tests/config/base/
# (one window, 'sunday'), its file(s) dropped in, then
# `$UPKEEP check --config ROOT`; stderr with "ROOT/" stripped must equal the
# expected lines, in order, followed by the "N problems" summary.  Inputs
# that cannot be a static file (10 MB, 10,000-deep nesting, a billion
# laughs, bytes that are not UTF-8, a NUL byte, a FIFO, ...) are generated
# below and checked the same way.
#
# UPKEEP is the binary under test (default build/upkeep of this repo); run
# it with UPKEEP=build/san/upkeep to get ASan/UBSan's opinion too.
#
#   bash tests/integration/config-errors.t --show tests/config/cases/X.yaml
# prints what the binary says about one case, in `# expect:` form.
set -uo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cases_dir=$repo/tests/config/cases
base_dir=$repo/tests/config/base

UPKEEP=${UPKEEP:-build/upkeep}
if [[ $UPKEEP != /* ]]; then
	if [ -e "$UPKEEP" ]; then
		UPKEEP=$(pwd)/$UPKEEP
	else
		UPKEEP=$repo/$UPKEEP
	fi
fi

# A case may not depend on the caller's environment: UPKEEP_TEST_UNSET must
# be unset for the ${UNSET} cases, and no UPKEEP_CONFIG may leak in.
unset UPKEEP_TEST_UNSET UPKEEP_CONFIG

CASE_TIME_LIMIT_MS=5000		# "fails fast": any case slower than this fails
CASE_TIMEOUT_S=10		# a hang becomes a failure, not a stuck run

# ---- one case -------------------------------------------------------------

# The expectation of the case being run; set by parse_case or by a
# generator, read by run_check.
want=()		# expected problem lines, ROOT/ stripped
want_exit=2
want_stdout=()	# EREs that stdout must match (valid cases)
case_env=()	# NAME=VALUE for the upkeep process
case_stack_kb=""	# ulimit -s for the upkeep process, if set
case_timeout=$CASE_TIMEOUT_S
case_desc=""

reset_case() {
	want=()
	want_exit=2
	want_stdout=()
	case_env=()
	case_stack_kb=""
	case_timeout=$CASE_TIMEOUT_S
	case_desc=""
}

# parse_case FILE ROOT - reads the header of FILE into the want* variables
# and writes its body into the config root ROOT.
parse_case() {
	local file=$1 root=$2 line first="" nhead=0 dir

	reset_case
	while IFS= read -r line; do
		nhead=$((nhead + 1))
		[ -z "$line" ] && break
		case $line in
		'# file: '*) first=${line#'# file: '} ;;
		'# expect: '*) want+=("${line#'# expect: '}") ;;
		'# exit: '*) want_exit=${line#'# exit: '} ;;
		'# env: '*) case_env+=("${line#'# env: '}") ;;
		'# stdout: '*) want_stdout+=("${line#'# stdout: '}") ;;
		'#'*) line=${line#'#'}
		      case_desc+=${case_desc:+ }${line# } ;;
		*) echo "$file:$nhead: the header ends with a blank line" >&2
		   return 1 ;;
		esac
	done <"$file"
	if [ -z "$first" ]; then
		echo "$file: no '# file:' line in the header" >&2
		return 1
	fi
	# The body: everything after the blank line; "# --- file: REL"
	# starts another file of the same case.
	for dir in "$first" $(sed -n "$((nhead + 1)),\$s/^# --- file: //p" "$file"); do
		mkdir -p "$root/$(dirname "$dir")"
	done
	: >"$root/$first"
	tail -n +"$((nhead + 1))" "$file" |
		awk -v root="$root" -v f="$root/$first" '
			/^# --- file: / { close(f); f = root "/" substr($0, 13); next }
			{ print > f }'
}

# new_root - a fresh copy of the base config; prints its path.
new_root() {
	local root
	root=$(mktemp -d "$work/root.XXXXXX") || return 1
	cp -R "$base_dir/." "$root/"
	printf '%s\n' "$root"
}

# run_upkeep ROOT - runs the check; sets got_exit, got_ms, and the files
# $work/out and $work/err.
run_upkeep() {
	local root=$1 t0 t1
	t0=${EPOCHREALTIME/./}
	(
		[ -n "$case_stack_kb" ] && ulimit -s "$case_stack_kb"
		exec env "${case_env[@]}" timeout "$case_timeout" \
			"$UPKEEP" check --config "$root"
	) >"$work/out" 2>"$work/err" </dev/null
	got_exit=$?
	t1=${EPOCHREALTIME/./}
	got_ms=$(((t1 - t0) / 1000))
}

# run_check NAME ROOT - runs upkeep on ROOT and emits one TAP result
# comparing everything against the want* variables.
run_check() {
	local name=$1 root=$2 why=() got=() i n line
	local desc="$name${case_desc:+: $case_desc}"

	run_upkeep "$root"
	mapfile -t got < <(sed "s#$root/##g" "$work/err")

	if [ "$got_exit" -eq 124 ]; then
		why+=("upkeep did not finish within ${case_timeout}s (a hang)")
	elif [ "$got_exit" -gt 128 ]; then
		why+=("upkeep died of signal $((got_exit - 128)) (a crash)")
	elif [ "$got_exit" -ne "$want_exit" ]; then
		why+=("exit status $got_exit, want $want_exit")
	fi
	if grep -Eq 'Sanitizer|runtime error:' "$work/err"; then
		why+=("the sanitizers reported a problem (see stderr below)")
	fi
	if [ "$got_ms" -gt "$CASE_TIME_LIMIT_MS" ]; then
		why+=("took ${got_ms} ms, more than ${CASE_TIME_LIMIT_MS} ms")
	fi

	if [ "$want_exit" -eq 0 ]; then
		[ "${#got[@]}" -eq 0 ] || why+=("stderr is not empty")
		head -n 1 "$work/out" | grep -q '^config ok: ' ||
			why+=("stdout does not start with 'config ok: '")
		for i in "${!want_stdout[@]}"; do
			grep -Eq -- "${want_stdout[i]}" "$work/out" ||
				why+=("stdout has no line matching /${want_stdout[i]}/")
		done
	else
		[ -s "$work/out" ] && why+=("stdout is not empty")
		n=${#got[@]}
		if [ "$n" -gt 0 ] && [[ ${got[n - 1]} =~ ^upkeep\ check:\ ([0-9]+)\ problems?\ in\ config\ root\ \'(.*)\'$ ]]; then
			unset 'got[n-1]'
			[ "${BASH_REMATCH[1]}" -eq "${#got[@]}" ] ||
				why+=("the summary counts ${BASH_REMATCH[1]} problems, stderr lists ${#got[@]}")
			[ "${BASH_REMATCH[2]}" = "$root" ] ||
				why+=("the summary names root '${BASH_REMATCH[2]}'")
		elif [ "$want_exit" -eq 2 ]; then
			why+=("no 'upkeep check: N problems in config root' last line")
		fi
		if [ "${#got[@]}" -ne "${#want[@]}" ] ||
		   [ "$(printf '%s\n' "${got[@]}")" != "$(printf '%s\n' "${want[@]}")" ]; then
			why+=("the problem lines differ")
		fi
	fi

	if [ "${#why[@]}" -eq 0 ]; then
		pass "$desc"
		return 0
	fi
	fail "$desc"
	for line in "${why[@]}"; do
		diag "    $line"
	done
	diag "    want (exit $want_exit, ${#want[@]} problem line(s)):"
	for line in "${want[@]}"; do diag "      $line"; done
	diag "    got (exit $got_exit, ${got_ms} ms, ${#got[@]} problem line(s)):"
	for line in "${got[@]}"; do diag "      $line"; done
	for ((i = 0; i < ${#want[@]} || i < ${#got[@]}; i++)); do
		if [ "${want[i]-<none>}" != "${got[i]-<none>}" ]; then
			diag "    first difference, problem line $((i + 1)):" \
				"      want: ${want[i]-<none>}" \
				"       got: ${got[i]-<none>}"
			break
		fi
	done
	if [ "$want_exit" -eq 0 ] && [ -s "$work/out" ]; then
		diag "    stdout:"
		diag "$(sed 's/^/      /' "$work/out")"
	fi
	return 1
}

# ---- --show: print a case's current output --------------------------------

if [ "${1:-}" = --show ]; then
	shift
	work=$(mktemp -d "${TMPDIR:-/tmp}/config-errors.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	for c in "$@"; do
		root=$(new_root) && parse_case "$c" "$root" || exit 1
		run_upkeep "$root"
		echo "== $c (exit $got_exit, ${got_ms} ms)"
		sed "s#$root/##g; s#$root#ROOT#g; s/^/# expect: /" "$work/err"
		sed 's/^/# stdout: /' "$work/out"
	done
	exit 0
fi

# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$repo/tests/lib/tap.sh"

[ -x "$UPKEEP" ] || bail_out "no upkeep binary at $UPKEEP (run make, or set UPKEEP)"
if ! [ -d "$cases_dir" ] || ! [ -d "$base_dir" ]; then
	bail_out "no $cases_dir or $base_dir"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/config-errors.XXXXXX") ||
	bail_out "cannot create a temporary directory"
cleanup() { rm -rf "$work"; }
tap_at_exit cleanup

note "upkeep: $UPKEEP"

# ---- the base config itself must be valid ----------------------------------

reset_case
want_exit=0
want_stdout=('window sunday')
case_desc="the base config is valid"
run_check base "$(new_root)" || bail_out "the base config is not valid"

# ---- static cases ------------------------------------------------------------

ncases=0
for c in "$cases_dir"/*.yaml; do
	name=${c##*/}
	name=${name%.yaml}
	root=$(new_root) || bail_out "cannot copy the base config"
	if ! parse_case "$c" "$root"; then
		fail "$name: the case file is malformed"
		continue
	fi
	run_check "$name" "$root"
	ncases=$((ncases + 1))
	rm -rf "$root"
done

# ---- generated cases ---------------------------------------------------------

# gen NAME DESC FILE - starts a generated case: a fresh root in $root, the
# case's file to write in $root/FILE ($f).
gen() {
	reset_case
	gen_name=$1
	case_desc=$2
	root=$(new_root) || bail_out "cannot copy the base config"
	f=$root/$3
	mkdir -p "$(dirname "$f")"
}
gen_done() {
	run_check "$gen_name" "$root"
	ncases=$((ncases + 1))
	rm -rf "$root"
}
# size FILE - its size in bytes.
size() { wc -c <"$1" | tr -d ' '; }

step='  - { name: a, kind: command, run: [true] }'
max_bytes=$((1024 * 1024))	# YTREE_MAX_FILE_BYTES

gen gen-10mb "a 10 MB file is refused before it is parsed" jobs/big.yaml
{
	printf 'job: big\nsteps:\n%s\ndescription: "' "$step"
	head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
	printf '"\n'
} >"$f"
want=("jobs/big.yaml:1:1: file is too large ($(size "$f") bytes; a config file may hold at most $max_bytes)")
gen_done

gen gen-1mib-plus-1 "one byte over the size limit is refused" jobs/big.yaml
{
	printf 'job: big\nsteps:\n%s\n# ' "$step"
	head -c "$max_bytes" /dev/zero | tr '\0' 'a'
} | head -c $((max_bytes + 1)) >"$f"
want=("jobs/big.yaml:1:1: file is too large ($((max_bytes + 1)) bytes; a config file may hold at most $max_bytes)")
gen_done

gen gen-1mib-exact "a file of exactly the size limit is accepted" jobs/big.yaml
{
	printf 'job: big\nsteps:\n%s\n# ' "$step"
	head -c "$max_bytes" /dev/zero | tr '\0' 'a'
} | head -c $((max_bytes - 1)) >"$f"
echo >>"$f"
want_exit=0
want_stdout=('job +big ')
gen_done

gen gen-deep-flow-seq "10,000 nested '[' stop at the depth limit (256 KiB stack)" jobs/deep.yaml
{ printf 'job: deep\nsteps: '; printf '%*s' 10000 '' | tr ' ' '['; echo; } >"$f"
case_stack_kb=256
# The root mapping is level 1, so the 64th '[' (column 7 + 64) is level 65.
want=("jobs/deep.yaml:2:71: nesting deeper than 64 levels; refusing this file")
gen_done

gen gen-deep-balanced "10,000 balanced '[...]' levels are refused, not recursed" jobs/deep.yaml
{
	printf 'job: deep\nsteps: '
	printf '%*s' 10000 '' | tr ' ' '['
	printf '%*s' 10000 '' | tr ' ' ']'
	echo
} >"$f"
case_stack_kb=256
want=("jobs/deep.yaml:2:71: nesting deeper than 64 levels; refusing this file")
gen_done

gen gen-deep-flow-map "10,000 nested '{a: ' stop at the depth limit" schedules/deep.yaml
{ printf 'window: deep\nstart: '; for ((i = 0; i < 10000; i++)); do printf '{a: '; done; echo; } >"$f"
case_stack_kb=256
want=("schedules/deep.yaml:2:260: nesting deeper than 64 levels; refusing this file")
gen_done

gen gen-deep-block "200 levels of block sequences stop at the depth limit" jobs/deep.yaml
{
	printf 'job: deep\nsteps:\n'
	for ((i = 1; i <= 200; i++)); do printf '%*s-\n' "$i" ''; done
	printf '%*s- x\n' 201 ''
} >"$f"
case_stack_kb=256
want=("jobs/deep.yaml:66:65: nesting deeper than 64 levels; refusing this file")
gen_done

gen gen-billion-laughs "a billion-laughs alias bomb fails fast with the expansion error" jobs/lol.yaml
{
	printf 'job: lol\n'
	printf 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
	for ((i = 1; i <= 9; i++)); do
		p="*a$((i - 1))"
		printf 'a%d: &a%d [%s,%s,%s,%s,%s,%s,%s,%s,%s,%s]\n' "$i" "$i" \
			"$p" "$p" "$p" "$p" "$p" "$p" "$p" "$p" "$p" "$p"
	done
	printf 'steps: *a9\n'
} >"$f"
# a_k expands to 1+10+...+10^(k+1) nodes: a4 (line 6) is the first over
# 100,000, at its tenth alias (column 46).
want=("jobs/lol.yaml:6:46: this document has more than 100000 nodes, aliases expanded; refusing it (a 'billion laughs' document?)")
gen_done

gen gen-latin1 "a Latin-1 byte (not UTF-8) is a reader error with its position" jobs/latin1.yaml
printf 'job: latin1\ndescription: caf\xe9 au lait\nsteps:\n%s\n' "$step" >"$f"
# 0xE9 opens a 3-byte sequence; libyaml flags the byte after it (col 18).
want=("jobs/latin1.yaml:2:18: invalid YAML: invalid trailing UTF-8 octet (config files must be UTF-8 text)")
gen_done

gen gen-invalid-utf8-lead "a 0xFF byte in a comment is refused" schedules/bad.yaml
printf 'window: bad\n# \xff\xfe\nstart: "*-*-* 01:00"\nduration: 1h\n' >"$f"
want=("schedules/bad.yaml:2:3: invalid YAML: invalid leading UTF-8 octet (config files must be UTF-8 text)")
gen_done

gen gen-truncated-utf8 "a UTF-8 sequence cut off by the end of the file" jobs/cut.yaml
printf 'job: cut\ndescription: "\xe2\x82' >"$f"
want=("jobs/cut.yaml:2:15: invalid YAML: incomplete UTF-8 octet sequence (config files must be UTF-8 text)")
gen_done

gen gen-nul-byte "a raw NUL byte in a value is refused" jobs/nul.yaml
printf 'job: nul\ndescription: a\0b\nsteps:\n%s\n' "$step" >"$f"
want=("jobs/nul.yaml:2:15: invalid YAML: control characters are not allowed (config files must be UTF-8 text)")
gen_done

gen gen-empty-file "a zero-byte job file" jobs/empty.yaml
: >"$f"
want=("jobs/empty.yaml:1:1: file is empty (expected a mapping that starts with 'job:')")
gen_done

gen gen-directory "a directory named like a job file" jobs/dir.yaml
mkdir -p "$f"
want=("jobs/dir.yaml:1:1: not a regular file")
gen_done

gen gen-dev-zero "a symlink to /dev/zero is refused, not read forever" jobs/zero.yaml
ln -s /dev/zero "$f"
want=("jobs/zero.yaml:1:1: not a regular file")
gen_done

gen gen-fifo "a FIFO named like a job file is refused, not waited on" jobs/fifo.yaml
mkfifo "$f"
case_timeout=3	# no reason to wait long for a hang
want=("jobs/fifo.yaml:1:1: not a regular file")
gen_done

gen gen-dangling-symlink "a dangling symlink" jobs/gone.yaml
ln -s "$root/nowhere.yaml" "$f"
want=("jobs/gone.yaml:1:1: cannot open: No such file or directory")
gen_done

# ${UNSET} is a static case (cases/env-unset.yaml); the variable was unset
# at the top.  Prove it really is unset here, so that case means something.
ok "UPKEEP_TEST_UNSET is unset for the \${UNSET} case" test -z "${UPKEEP_TEST_UNSET+set}"

cmp_ok "$ncases" -ge 45 "at least 45 malformed or hostile config cases ran"
# shellcheck disable=SC2119 # no plan count: the number of cases varies
done_testing
