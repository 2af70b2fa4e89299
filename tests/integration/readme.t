#!/usr/bin/env bash
# The README cannot rot: every ```sh block of README.md is run, in order, in
# a sandbox laid out like a checkout after `make demo`, and fails here
# naming its line and the command that failed.
#
# The rules (README authors: this is the contract):
#   - A ```sh block is run with `bash -e -o pipefail`, as a reader would
#     type it in one terminal: the exports and the directory a block leaves
#     carry over to the next block (its `export -p` and `pwd` are saved).
#   - A ```sh block whose first line is `# not run by tests: REASON` is not
#     run (make install, systemctl, make demo itself...): it is checked
#     with `bash -n` and reported as a TAP skip with its REASON. Nothing
#     else is skipped.
#   - A ```text block that directly follows a ```sh block (nothing but
#     blank lines between them) is that block's exact standard output,
#     compared after trimming trailing blanks. Put a sentence between the
#     two when the text is only an illustration.
#   - Other fences (```text, ```yaml, ```console ...) are not run.
#
# The sandbox ($tmp/checkout, the first block's directory): build/upkeep
# and bin/upkeep are $UPKEEP (bin/ first on PATH, so `upkeep` is $UPKEEP);
# schedules/ and jobs/ are copies of the shipped ones; man/, contrib/ and
# docs/ link to the repository's; demo/ is made by scripts/demo.sh (with
# DEMO_DIR, the same script `make demo` runs, without its deps and build
# steps), which needs PostgreSQL, Podman and the registry: missing ones
# fail under CI=true and skip the test elsewhere. HOME is a fresh
# directory; UPKEEP_CONFIG is the sandbox (the shipped config, never
# /etc/upkeep); UPKEEP_NOW is fixed at Monday 2026-11-30 09:00 UTC, the day
# after the demo's second Sunday, so `next`, `status` and `plan` are the
# same on every run; MANPAGER=cat.
#
# Besides the blocks: the README lists every config key the sources read
# (in its kind's section for step and check kinds), every kind the binary
# knows, every command of `upkeep --help` and exit codes 0-3, and its
# relative links lead to files. UPKEEP_README=FILE tests another copy (to
# see this test fail on a broken README without editing the real one).
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
. "$repo/tests/lib/servers.sh"

readme=${UPKEEP_README:-$repo/README.md}

# The demo's servers: fail in CI, skip loudly elsewhere (before any test).
_server_require postgres "postgresql-15 python3" "$UPKEEP_PYTHON" \
	"${PG_BINDIR:-/usr/lib/postgresql/15/bin}/initdb"
_server_require podman "podman curl python3" podman curl
_server_require registry "docker-registry" docker-registry

sb=$tmp/checkout
state=$tmp/state
blocks=$tmp/blocks
mkdir -p "$sb/build" "$sb/bin" "$sb/home" "$state" "$blocks"
ln -s "$UPKEEP" "$sb/build/upkeep"
ln -s "$UPKEEP" "$sb/bin/upkeep"
cp -r "$repo/schedules" "$repo/jobs" "$sb/"
for d in man contrib docs; do ln -s "$repo/$d" "$sb/$d"; done

# ---- the blocks ------------------------------------------------------------
# BLOCK LANG START END lines in $blocks/index; the content in $blocks/N.
awk -v dir="$blocks" '
	/^ ? ? ?```/ {
		line = $0
		sub(/^ */, "", line)
		if (!inb) {
			inb = 1; n++; lang = substr(line, 4); gsub(/[ \t]/, "", lang)
			if (lang == "") lang = "-"
			start = NR; file = dir "/" n; printf "" >file
			next
		}
		if (line ~ /^```[ \t]*$/) {
			inb = 0; close(file)
			printf "%d %s %d %d\n", n, lang, start, NR
			next
		}
	}
	inb { print >file }
	END { if (inb) printf "%d unclosed %d %d\n", n, start, NR }
' "$readme" >"$blocks/index"

unlike "$(cat "$blocks/index")" "unclosed" "every fence of README.md is closed"
nsh=$(awk '$2 == "sh"' "$blocks/index" | wc -l)
cmp_ok "$nsh" -ge 8 "README.md has sh blocks to run ($nsh)"

# The demo, as `make demo` runs it; the README's blocks look at what it left.
DEMO_DIR=$sb/demo "$repo/scripts/demo.sh" "$UPKEEP" >"$tmp/demo.out" 2>&1 </dev/null
demo_rc=$?
if ! is "$demo_rc" 0 "scripts/demo.sh (what make demo runs) succeeds in the sandbox"; then
	diag "last lines of its output:" "$(tail -n 30 "$tmp/demo.out" | sed 's/^/    | /')"
fi

# The reader's terminal at the start.
(
	cd "$sb" || exit 1
	unset CDPATH UPKEEP_RUN_ID
	export HOME=$sb/home UPKEEP_CONFIG=$sb UPKEEP_NOW='2026-11-30 09:00' \
		PATH="$sb/bin:$PATH" MANPAGER=cat PAGER=cat
	export -p >"$state/env"
)
echo "$sb" >"$state/cwd"

# norm FILE: FILE without trailing blanks on each line and at the end.
norm() {
	sed 's/[[:space:]]*$//' "$1" |
		awk '{ a[NR] = $0 } END { n = NR; while (n > 0 && a[n] == "") n--; for (i = 1; i <= n; i++) print a[i] }'
}

# between A B: the README's lines strictly between line A and line B.
between() {
	sed -n "$(($1 + 1)),$(($2 - 1))p" "$readme"
}

mapfile -t index <"$blocks/index"
for ((i = 0; i < ${#index[@]}; i++)); do
	read -r n lang start end <<<"${index[i]}"
	[ "$lang" = sh ] || continue
	first=$(head -n 1 "$blocks/$n")
	where="README.md line $start (\`$(grep -m 1 -v '^[[:space:]]*#' "$blocks/$n" | head -c 60)\`)"
	if [[ $first =~ ^#\ not\ run\ by\ tests:\ *(.*)$ ]]; then
		reason=${BASH_REMATCH[1]}
		if bash -n "$blocks/$n" 2>"$tmp/syntax"; then
			skip "$where is not run" "$reason"
		else
			fail "$where (not run: $reason) is valid shell"
			diag "$(sed 's/^/    | /' "$tmp/syntax")"
		fi
		continue
	fi
	where="README.md line $start (\`$(head -n 1 "$blocks/$n" | head -c 60)\`)"
	{
		echo 'set -eo pipefail'
		echo ". '$state/env'"
		echo "cd \"\$(cat '$state/cwd')\""
		echo "trap 'echo \"readme.t: exit \$? from: \$BASH_COMMAND\" >&2' ERR"
		cat "$blocks/$n"
		echo
		echo "export -p >'$state/env'; pwd >'$state/cwd'"
	} >"$state/block$n.sh"
	timeout 300 bash "$state/block$n.sh" >"$state/out$n" 2>"$state/err$n" </dev/null
	rc=$?
	if ! is "$rc" 0 "$where runs"; then
		diag "its standard error:" "$(tail -n 25 "$state/err$n" | sed 's/^/    | /')"
		continue
	fi
	# Its output, when the README shows it right after.
	if ((i + 1 < ${#index[@]})); then
		read -r n2 lang2 start2 _ <<<"${index[i + 1]}"
		if [ "$lang2" = text ] && ! between "$end" "$start2" | grep -q '[^[:space:]]'; then
			got=$(norm "$state/out$n")
			want=$(norm "$blocks/$n2")
			if ! is "$got" "$want" "$where prints what the text block at line $start2 shows"; then
				diag "diff (README, then actual):" "$(diff <(echo "$want") <(echo "$got") | sed 's/^/    | /')"
			fi
		fi
	fi
done

# ---- the reference lists what the code has ------------------------------
text=$(cat "$readme")
# section HEADING_RE [PARENT]: the README's lines from the heading line
# matching HEADING_RE (under the "### PARENT" heading, if given) to the
# next heading of the same or a higher level.
section() {
	awk -v re="$1" -v parent="${2:-}" '
		/^#+ / {
			lvl = length($1)
			if (lvl == 3) inparent = (parent == "" || $0 == "### " parent)
			if (on && lvl <= onlvl) on = 0
			if (!on && inparent && $0 ~ re) { on = 1; onlvl = lvl; next }
		}
		on' "$readme"
}

keys=$(cd "$repo/runner" && grep -rnoE \
	'confmap_(str|bool|int|number|duration|size|ratio|amount|enum|intlist|strlist|argv|path|strmap|node|dsn|dsnlist)\([^,()]+, "[a-zA-Z_][a-zA-Z0-9_-]*"' \
	--include='*.c' . | grep -v '^\./confmap\.c:' |
	sed -E 's|^\./([^:]+):[0-9]+:.*"([^"]+)"$|\2 \1|' | sort -u)
cmp_ok "$(cut -d' ' -f1 <<<"$keys" | sort -u | wc -l)" -ge 90 "the sources' getter calls name the config keys"
missing=""
while read -r k f; do
	case $f in
	steps/*.c | checks/*.c)
		kind=${f#*/}
		kind=${kind%.c}
		kind=${kind//_/-}
		parent=$([ "${f%%/*}" = steps ] && echo "Step kinds" || echo "Check kinds")
		grep -qE "^\| \`$k\` \|" <<<"$(section "^#### \`$kind\`\$" "$parent")" ||
			missing="$missing $k($f)" ;;
	*)
		grep -qE "\`$k(\`|:)" <<<"$text" || missing="$missing $k($f)" ;;
	esac
done <<<"$keys"
is "${missing# }" "" "README.md lists every config key (step and check kinds' in their own section)"

# Every kind the binary knows has its section.
mkdir -p "$tmp/cfg/schedules" "$tmp/cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$tmp/cfg/schedules/w.yaml"
printf 'job: j\nwindows: [w]\nprechecks:\n  - { name: c, kind: zzzz }\nsteps:\n  - { name: s, kind: zzzz }\n' >"$tmp/cfg/jobs/j.yaml"
run "$UPKEEP" check --config "$tmp/cfg"
step_kinds=$(grep -oE "unknown step kind [^(]*\(known kinds: [^)]*\)" <<<"$err" | sed -E 's/.*known kinds: //; s/\)//; s/,//g')
check_kinds=$(grep -oE "unknown check kind [^(]*\(known kinds: [^)]*\)" <<<"$err" | sed -E 's/.*known kinds: //; s/\)//; s/,//g')
cmp_ok "$(wc -w <<<"$step_kinds $check_kinds")" -ge 13 "the binary lists its kinds ($step_kinds; $check_kinds)"
nosec=""
for k in $step_kinds; do
	[ -n "$(section "^#### \`$k\`\$" "Step kinds")" ] || nosec="$nosec step:$k"
done
for k in $check_kinds; do
	[ -n "$(section "^#### \`$k\`\$" "Check kinds")" ] || nosec="$nosec check:$k"
done
is "${nosec# }" "" "README.md has a section for every step and check kind"

# Every command of `upkeep --help`, and the exit codes.
cmds=$("$UPKEEP" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
cmp_ok "$(wc -w <<<"$cmds")" -ge 10 "upkeep --help lists the commands"
nocmd=""
for c in $cmds; do
	grep -qE "^\| \`$c( |\`)" <<<"$(section '^## Commands$')" || nocmd="$nocmd $c"
done
is "${nocmd# }" "" "README.md's Commands table has a row for every command"
for code in 0 1 2 3; do
	like "$(section '^## Commands$')" $'\n'"\\| $code \\| " "README.md explains exit code $code"
done

# Relative links lead somewhere.
broken=""
for l in $(grep -oE '\]\([^)#:]+(#[^)]*)?\)' "$readme" | sed -E 's/^\]\(//; s/\)$//; s/#.*//' | sort -u); do
	[ -e "$repo/$l" ] || broken="$broken $l"
done
is "${broken# }" "" "README.md's relative links lead to files"

done_testing
