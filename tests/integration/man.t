#!/usr/bin/env bash
# The man pages: man/upkeep.1 and man/upkeep-jobs.5 format without a
# warning from man(1)/groff, upkeep.1 describes every command `upkeep
# --help` lists with every option `upkeep help CMD` lists, and
# upkeep-jobs.5 documents every config key the loader accepts. The keys
# are read off the sources (each getter call of runner/config.c and of the
# kinds' parse hooks names its key), so adding a key without documenting
# it fails here; a step or check kind's keys must be in that kind's own
# subsection.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"

man1=$repo/man/upkeep.1
man5=$repo/man/upkeep-jobs.5

for tool in man groff; do
	if ! command -v "$tool" >/dev/null; then
		if [ "${CI:-}" = true ]; then
			fail "$tool is installed (scripts/deps.sh: man-db groff-base)"
			done_testing
			exit 1
		fi
		skip_all "$tool is missing (install man-db and groff-base: make deps)"
	fi
done

# render PAGE [WARNINGS]: the page as plain text, 80 columns, warnings
# (stderr) in $tmp/warn.
render() {
	MANWIDTH=80 MANPAGER=cat PAGER=cat LC_ALL=C.UTF-8 MANROFFOPT=${3:-} \
		man ${2:+"$2"} -l "$1" 2>"$tmp/warn" | col -bx
}

for page in "$man1" "$man5"; do
	name=${page##*/}
	ok "$name exists" test -s "$page"
	text=$(render "$page" --warnings)
	is "$(cat "$tmp/warn")" "" "man --warnings -l $name: no warnings"
	text=$(render "$page" --warnings=w)
	is "$(cat "$tmp/warn")" "" "man --warnings=w -l $name (every groff warning): none"
	like "$text" $'(^|\n)NAME\n +upkeep' "$name renders a NAME section"
	unlike "$(LC_ALL=C grep -n '[^ -~	]' "$page")" . "$name is plain ASCII (escapes for the rest)"
done

# The pages name the version they describe.
version=$("$UPKEEP" --version)
for page in "$man1" "$man5"; do
	is "$(sed -n 's/^\.TH [^ ]* [0-9] [^ ]* "\([^"]*\)".*/\1/p' "$page")" "$version" \
		"${page##*/}: .TH names '$version' (upkeep --version)"
done

text1=$(render "$man1" "" -rHY=0)
text5=$(render "$man5" "" -rHY=0)
for sec in NAME SYNOPSIS DESCRIPTION COMMANDS "GLOBAL OPTIONS" ENVIRONMENT \
	FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
	like "$text1" $'(^|\n)'"$sec"$'\n' "upkeep.1 has a $sec section"
done
# has TEXT ERE DESC: some line of TEXT matches the extended regex ERE.
has() {
	if grep -qE -- "$2" <<<"$1"; then
		pass "$3"
	else
		fail "$3"
		diag "    no line matches '$2'"
	fi
}

# help_options HELP: the options a command's help text lists: in its
# usage lines, its sub-commands' synopsis lines ("list [--job JOB]") and
# its option lines ("  -q, --quiet  ..."), not in its examples.
help_options() {
	(grep -oE '^ {2,}(-[a-zA-Z], )?--?[a-zA-Z][a-z-]*(( [A-Z][A-Za-z|]*)( |$)| {2,}|$)' <<<"$1"
		grep -E '^(usage: |       )upkeep |^[a-z][a-z-]* (\[|[A-Z])' <<<"$1") |
		grep -oE -- '(^|[ [|,])(-[a-zA-Z]|--[a-z][a-z-]*)' |
		tr -d ' [|,' | sort -u
}

# section TEXT NAME: the body of the .SH NAME section of rendered TEXT.
section() {
	awk -v s="$2" '/^[A-Z]/ { on = ($0 == s); next } on' <<<"$1"
}
# entry TEXT CMD: a tagged paragraph of TEXT (7-space tag) that starts
# with CMD, up to the next tag at that indent.
entry() {
	awk -v c="$2" '
		/^       [^ ]/ { on = ($1 == c) }
		on' <<<"$1"
}

env_sec=$(section "$text1" ENVIRONMENT)
for var in UPKEEP_CONFIG UPKEEP_NOW UPKEEP_RUN_ID NO_COLOR DOCKER_HOST PGHOST PGPASSWORD; do
	has "$env_sec" "^ +([A-Z_]+, )*$var(,|\$)" "ENVIRONMENT describes $var"
done
exit_sec=$(section "$text1" "EXIT STATUS")
for code in 0 1 2 3; do
	has "$exit_sec" "^ +$code( |\$)" "EXIT STATUS explains $code"
done
files_sec=$(section "$text1" FILES)
for f in upkeep.yaml schedules/ jobs/ state_dir reports_dir snapshot_dir journal/ upkeep.lock; do
	like "$files_sec" "$f" "FILES mentions $f"
done

# Every command of `upkeep --help` has an entry under COMMANDS, and every
# option of `upkeep help CMD` is in that entry.
run "$UPKEEP" --help
is "$rc" 0 "upkeep --help exits 0"
cmds=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' <<<"$out")
cmp_ok "$(wc -w <<<"$cmds")" -ge 10 "--help lists the commands (found: $(tr "\n" " " <<<"$cmds"))"
commands_sec=$(section "$text1" COMMANDS)
for c in $cmds; do
	e=$(entry "$commands_sec" "$c")
	if ! isnt "$e" "" "upkeep.1 COMMANDS has an entry for '$c'"; then
		continue
	fi
	like "$(section "$text1" SYNOPSIS)" "upkeep $c( |$)" "upkeep.1 SYNOPSIS shows 'upkeep $c'"
	run "$UPKEEP" help "$c"
	opts=$(help_options "$out" | grep -- '^--')
	for o in $opts; do
		like "$e" "(^|[^a-z-])$o([^a-z-]|$)" "upkeep.1 '$c' entry describes $o"
	done
done
gopts=$(grep -oE -- '--[a-z][a-z-]*' <<<"$(awk '/^Global options:/ { on = 1; next } on && /^$/ { exit } on' <<<"$("$UPKEEP" --help)")")
cmp_ok "$(wc -w <<<"$gopts")" -ge 4 "--help lists global options"
for o in $gopts; do
	like "$(section "$text1" "GLOBAL OPTIONS")" "(^|[^a-z-])$o([^a-z-]|$)" "GLOBAL OPTIONS describes $o"
done

# The config keys, from the getters' calls: confmap_TYPE(map, "key", ...).
# KEY FILE lines; every getter call names its key on the call's first line.
keys=$(cd "$repo/runner" && grep -rnoE \
	'confmap_(str|bool|int|number|duration|size|ratio|amount|enum|intlist|strlist|argv|path|strmap|node|dsn|dsnlist)\([^,()]+, "[a-zA-Z_][a-zA-Z0-9_-]*"' \
	--include='*.c' . | grep -v '^\./confmap\.c:' |
	sed -E 's|^\./([^:]+):[0-9]+:.*"([^"]+)"$|\2 \1|' | sort -u)
nkeys=$(cut -d' ' -f1 <<<"$keys" | sort -u | wc -l)
cmp_ok "$nkeys" -ge 90 "the sources' getter calls name the config keys ($nkeys keys)"
for k in window start duration job tracked_config keep_runs on_failure retry_for prune max_used output_match table_timeout; do
	has "$keys" "^$k " "the key list has '$k' (the extraction works)"
done
calls=$(cd "$repo/runner" && grep -rnE 'confmap_(str|bool|int|number|duration|size|ratio|amount|enum|intlist|strlist|argv|path|strmap|node|dsn|dsnlist)\(' \
	--include='*.c' . | grep -v '^\./confmap\.c:' | grep -vc '"')
is "$calls" 0 "every getter call names its key on its first line (else the list misses it)"

# kind_section FILE: the rendered subsection (.SS) that documents the keys
# of a step or check kind's file; the whole page for the loader's own.
kind_section() {
	local f=$1 kind
	case $f in
	steps/*.c | checks/*.c)
		kind=${f#*/}
		kind=${kind%.c}
		kind=${kind//_/-}
		awk -v sh="$([ "${f%%/*}" = steps ] && echo 'STEP KINDS' || echo 'CHECK KINDS')" \
			-v ss="$kind" '
			/^[A-Z]/ { insh = ($0 == sh); on = 0; next }
			/^   [^ ]/ { on = insh && ($1 == ss); next }
			on' <<<"$text5" ;;
	*) printf '%s\n' "$text5" ;;
	esac
}
missing=""
nosec=""
while read -r k f; do
	sec=$(kind_section "$f")
	if [ -z "$sec" ]; then
		[[ " $nosec " == *" $f "* ]] || nosec="$nosec $f"
		continue
	fi
	# A documented key is the tag of a paragraph: "KEY" or "KEY (...)".
	if ! grep -qE "^ {7,}$k( +\(.*)?\$" <<<"$sec"; then
		missing="$missing $k($f)"
	fi
done <<<"$keys"
is "${nosec# }" "" "upkeep-jobs.5 has a subsection for the kind of every file with keys"
is "${missing# }" "" "upkeep-jobs.5 documents every config key in its place"

# Every kind the binary knows (its "known kinds" message) has a subsection.
mkdir -p "$tmp/cfg/schedules" "$tmp/cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$tmp/cfg/schedules/w.yaml"
cat >"$tmp/cfg/jobs/j.yaml" <<'EOF'
job: j
windows: [w]
prechecks:
  - { name: c, kind: zzzzzzzzzzzz }
steps:
  - { name: s, kind: zzzzzzzzzzzz }
EOF
run "$UPKEEP" check --config "$tmp/cfg"
is "$rc" 2 "an unknown kind is a config error"
step_kinds=$(grep -oE "unknown step kind [^(]*\(known kinds: [^)]*\)" <<<"$err" | sed -E 's/.*known kinds: //; s/\)//; s/,//g')
check_kinds=$(grep -oE "unknown check kind [^(]*\(known kinds: [^)]*\)" <<<"$err" | sed -E 's/.*known kinds: //; s/\)//; s/,//g')
cmp_ok "$(wc -w <<<"$step_kinds")" -ge 6 "the binary lists its step kinds ($step_kinds)"
cmp_ok "$(wc -w <<<"$check_kinds")" -ge 7 "the binary lists its check kinds ($check_kinds)"
for k in $step_kinds; do
	isnt "$(kind_section "steps/${k//-/_}.c")" "" "upkeep-jobs.5 STEP KINDS has '$k'"
done
for k in $check_kinds; do
	isnt "$(kind_section "checks/$k.c")" "" "upkeep-jobs.5 CHECK KINDS has '$k'"
done

done_testing
