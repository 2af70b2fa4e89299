#!/usr/bin/env bash
# The bash completion (contrib/upkeep.bash-completion): sourced here and
# driven like bash drives it (COMP_WORDS/COMP_CWORD, then COMPREPLY), on a
# temporary config root. Commands and options are compared with what the
# binary's own help lists, so a new command or option that the completion
# does not know fails here; job and window names with the files' own
# `job:`/`window:` lines; run ids with the record files on disk.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"

compl=$repo/contrib/upkeep.bash-completion
ok "the completion is valid bash" bash -n "$compl"
# shellcheck source=../../contrib/upkeep.bash-completion
. "$compl"
like "$(complete -p upkeep)" '-F _upkeep upkeep$' "it registers _upkeep for upkeep"

# comp WORD...: completes the last WORD of the command line "WORD...",
# split as bash splits it (COMP_WORDBREAKS makes "--config=x" three words),
# and sets $got to the sorted replies, one a line.
comp() {
	COMP_WORDS=("$UPKEEP" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_upkeep
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
}
# lines WORD...: the WORDs sorted, one a line.
lines() { printf '%s\n' "$@" | sort; }

# A config root: names quoted, commented, in .yml, and one broken file
# (names still complete: they are read from the files, not the loader).
root=$tmp/conf
mkdir -p "$root/schedules" "$root/jobs" "$root/jobs/sub" "$root/other"
cat >"$root/schedules/sunday.yaml" <<'EOF'
# the Sunday window
window: sunday   # a comment
start: "Sun *-*-* 02:00"
duration: 2h
EOF
printf 'window: "night-1"\nstart: daily\nduration: 1h\n' >"$root/schedules/night.yml"
printf 'start: daily\nwindow: late.2\nduration: 1h\n' >"$root/schedules/late.yaml"
cat >"$root/jobs/weekly.yaml" <<'EOF'
job: weekly
windows: [sunday]
steps:
  - { name: hello, kind: command, run: [/bin/true] }
EOF
printf "job: 'db-vacuum'\nwindows: [night-1]\nsteps:\n  - { name: s, kind: command, run: [/bin/true] }\n" >"$root/jobs/db.yml"
printf 'job: never\nsteps: []\n  job: nested\n' >"$root/jobs/broken.yaml"
printf 'job: hidden\n' >"$root/jobs/sub/deeper.yaml"
printf 'job: dotfile\n' >"$root/jobs/.hidden.yaml"
printf '# the defaults\n' >"$root/upkeep.yaml"
other=$tmp/other-root
mkdir -p "$other/jobs" "$other/schedules"
printf 'job: elsewhere\nsteps:\n  - { name: s, kind: command, run: [/bin/true] }\n' >"$other/jobs/e.yaml"
printf 'window: otherwin\nstart: daily\nduration: 1h\n' >"$other/schedules/o.yaml"

# Independent lists: the files' top-level job:/window: lines, by grep.
want_jobs=$(grep -h '^job:' "$root"/jobs/*.yaml "$root"/jobs/*.yml |
	sed -E "s/^job:[[:space:]]*//; s/[[:space:]]+#.*//; s/^[\"']//; s/[\"']\$//" | sort)
want_windows=$(grep -h '^window:' "$root"/schedules/*.yaml "$root"/schedules/*.yml |
	sed -E "s/^window:[[:space:]]*//; s/[[:space:]]+#.*//; s/^[\"']//; s/[\"']\$//" | sort)
is "$want_jobs" "$(lines db-vacuum never weekly)" "the root has jobs db-vacuum, never, weekly (grep)"
is "$want_windows" "$(lines late.2 night-1 sunday)" "the root has windows late.2, night-1, sunday (grep)"

# Commands: exactly those `upkeep --help` lists.
run "$UPKEEP" --help
want_cmds=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' <<<"$out" | sort)
cmp_ok "$(wc -l <<<"$want_cmds")" -ge 10 "--help lists the commands"
comp ""
is "$got" "$want_cmds" "upkeep <TAB>: the commands of --help"
comp re
is "$got" "$(lines report)" "upkeep re<TAB>: report"
comp r
is "$got" "$(lines report rollback run)" "upkeep r<TAB>: report, rollback, run"
comp --config "$root" st
is "$got" "$(lines status)" "after --config DIR: still the commands"
comp --now '2026-11-29 02:00' pl
is "$got" "$(lines plan)" "after --now TIME: still the commands"
comp help ""
is "$got" "$want_cmds" "upkeep help <TAB>: the commands"
comp help run ""
is "$got" "" "upkeep help run <TAB>: nothing more"

# Global options: those of --help's "Global options".
want_g=$(awk '/^Global options:/ { on = 1; next } on && /^$/ { exit } on' <<<"$out" |
	grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort)
comp -
is "$got" "$want_g" "upkeep -<TAB>: the global options of --help"

# Each command's options: every option `upkeep help CMD` lists is offered,
# and nothing else but -c/--config and -h/--help (which every command takes).
for c in $want_cmds; do
	run "$UPKEEP" help "$c"
	# The options of its usage lines, its sub-commands' synopsis lines
	# ("list [--job JOB]") and its option lines, not of its examples.
	want=$( (grep -oE '^ {2,}(-[a-zA-Z], )?--?[a-zA-Z][a-z-]*(( [A-Z][A-Za-z|]*)( |$)| {2,}|$)' <<<"$out"
		grep -E '^(usage: |       )upkeep |^[a-z][a-z-]* (\[|[A-Z])' <<<"$out") |
		grep -oE -- '(^|[ [|,])(-[a-zA-Z]|--[a-z][a-z-]*)' |
		tr -d ' [|,' | sort -u)
	# What is offered: after the command, and after each sub-command
	# offered there (snapshots list|verify|restore).
	subs=$(grep -oE '^[a-z][a-z-]* (\[|[A-Z])' <<<"$out" | cut -d' ' -f1 | sort -u)
	if [ -n "$subs" ]; then
		comp --config "$root" "$c" ""
		is "$got" "$subs" "upkeep $c <TAB>: its sub-commands ($(tr "\n" " " <<<"$subs"))"
	fi
	comp "$c" -
	for sub in $subs; do
		all=$got
		comp "$c" "$sub" -
		got=$(printf '%s\n%s\n' "$all" "$got" | grep -v '^$' | sort -u)
	done
	missing=$(comm -23 <(echo "$want") <(echo "$got") | grep -v '^$' | tr '\n' ' ')
	extra=$(comm -13 <(echo "$want") <(echo "$got") | grep -vxE -- '|-c|--config|-h|--help' | tr '\n' ' ')
	is "$missing" "" "upkeep $c -<TAB>: offers every option of 'upkeep help $c'"
	is "$extra" "" "upkeep $c -<TAB>: offers no option 'upkeep help $c' does not list"
done
# Those -c/--config and -h/--help really are taken by every command but help.
for c in $want_cmds; do
	[ "$c" = help ] && continue
	run "$UPKEEP" "$c" --help
	is "$rc" 0 "upkeep $c --help works (so offering --help is right)"
	run "$UPKEEP" "$c" --config "$tmp/nowhere" --help
	is "$rc" 0 "upkeep $c --config DIR is accepted (so offering --config is right)"
done
comp run --ig
is "$got" "$(lines --ignore-window)" "upkeep run --ig<TAB>: --ignore-window"

# Job names, from each way of naming the config root.
comp --config "$root" run ""
is "$got" "$want_jobs" "--config DIR run <TAB>: the root's jobs"
comp -c "$root" plan w
is "$got" "$(lines weekly)" "-c DIR plan w<TAB>: weekly"
comp --config = "$root" rollback ""
is "$got" "$want_jobs" "--config=DIR (split at '=') rollback <TAB>: the jobs"
comp run --config "$root" d
is "$got" "$(lines db-vacuum)" "run --config DIR d<TAB>: the option after the command counts too"
shopt -s dotglob
comp --config "$root" run ""
shopt -u dotglob
is "$got" "$want_jobs" "with dotglob set: still no hidden file's job (upkeep skips them)"
comp --config "$root" history --job ""
is "$got" "$want_jobs" "history --job <TAB>: the jobs"
comp --config "$root" run --due ""
is "$got" "" "run --due <TAB>: no job (--due takes none)"
comp --config "$root" run weekly ""
is "$got" "" "run JOB <TAB>: one job only"
comp --config "$root" run --log-format ""
is "$got" "$(lines json text)" "run --log-format <TAB>: text, json"
comp --config "$root" daemon --log-format = j
is "$got" "$(lines json)" "daemon --log-format=j<TAB>: json"

UPKEEP_CONFIG=$root
comp run ""
is "$got" "$want_jobs" "\$UPKEEP_CONFIG: its jobs"
comp --config "$other" run ""
is "$got" "$(lines elsewhere)" "--config DIR wins over \$UPKEEP_CONFIG"
unset UPKEEP_CONFIG
if [ -d /etc/upkeep ]; then
	skip "the current directory as the root" "/etc/upkeep exists and comes first"
else
	(cd "$root" && comp run "" && printf '%s' "$got" >"$tmp/cwd-jobs")
	is "$(cat "$tmp/cwd-jobs")" "$want_jobs" "no --config, no \$UPKEEP_CONFIG: the current directory's jobs"
fi
comp --config "$tmp/nowhere" run ""
is "$got" "" "a missing root: no names, no error"

# Window names for next.
comp --config "$root" next ""
is "$got" "$want_windows" "next <TAB>: the windows"
comp --config "$root" next sunday n
is "$got" "$(lines night-1)" "next WINDOW n<TAB>: more windows"
comp --config "$other" next ""
is "$got" "$(lines otherwin)" "next <TAB> in another root: its windows"
if [ -r /usr/share/zoneinfo/tzdata.zi ]; then
	comp next --spec daily --timezone Europe/Berl
	is "$got" "$(lines Europe/Berlin)" "next --timezone Europe/Berl<TAB>: Europe/Berlin"
else
	skip "next --timezone completes zones" "no /usr/share/zoneinfo/tzdata.zi"
fi
comp report --week ""
like "$got" $'last\n.*this' "report --week <TAB>: last, this and ISO weeks"
like "$got" "$(date -u +%G-W%V)" "report --week <TAB>: this ISO week ($(date -u +%G-W%V))"

# --config's value: directories.
comp --config "$tmp/con"
is "$got" "$root" "--config <TAB>: directories"
comp --config "$root/"
is "$got" "$(lines "$root/jobs" "$root/other" "$root/schedules")" "--config DIR/<TAB>: its directories, not files"

# Run ids for report: those on disk (the record files), newest first.
# (upkeep refuses to run with a broken file in the root.)
rm "$root/jobs/broken.yaml"
run "$UPKEEP" --config "$root" --now '2026-11-29 02:00' run weekly
is "$rc" 0 "a run of weekly in its window succeeds" || diag "$err"
run "$UPKEEP" --config "$root" --now '2026-11-30 12:00' run weekly --ignore-window
is "$rc" 0 "a second run (outside the window) succeeds" || diag "$err"
want_ids=$(find "$root/reports/runs" -path '*/.index' -prune -o -name '*.json' -printf '%f\n' | sed 's/\.json$//' | sort)
cmp_ok "$(wc -l <<<"$want_ids")" -eq 2 "two run records on disk"
comp --config "$root" report ""
is "$got" "$(printf "latest\n%s\n" "$want_ids" | sort)" "report <TAB>: latest and the run ids"
is "${COMPREPLY[0]:-}" "latest" "report <TAB>: latest first"
is "${COMPREPLY[1]:-}" "$(tail -n 1 <<<"$want_ids")" "report <TAB>: then the newest run"
comp --config "$root" report 2026
is "$got" "$want_ids" "report 2026<TAB>: the run ids"
comp --config "$root" report "$(head -n 1 <<<"$want_ids")" ""
is "$got" "" "report RUN-ID <TAB>: one run only"
UPKEEP_CONFIG=$root
comp report ""
is "$got" "$(printf "latest\n%s\n" "$want_ids" | sort)" "report <TAB> with \$UPKEEP_CONFIG: the run ids"
unset UPKEEP_CONFIG

# Snapshot run ids for snapshots verify|restore: the snapshot directories
# (those with a manifest) on disk, not every run's id.
cat >"$root/jobs/snap.yaml" <<'EOF'
job: snap
windows: [sunday]
steps:
  - { name: metrics only, kind: snapshot, metrics: true, min_free: 1% }
EOF
run "$UPKEEP" --config "$root" --now '2026-11-29 03:00' run snap --ignore-window
is "$rc" 0 "a snapshot run succeeds" || diag "$err"
want_snaps=$(find "$root/snapshots" -mindepth 2 -maxdepth 2 -name manifest.json |
	sed -E 's|.*/([^/]+)/manifest.json$|\1|' | sort)
cmp_ok "$(wc -w <<<"$want_snaps")" -eq 1 "one snapshot directory with a manifest on disk"
comp --config "$root" snapshots verify ""
is "$got" "$want_snaps" "snapshots verify <TAB>: the snapshots' run ids"
comp --config "$root" snapshots restore 2026
is "$got" "$want_snaps" "snapshots restore 2026<TAB>: the snapshots' run ids"
comp --config "$root" snapshots list ""
is "$got" "" "snapshots list <TAB>: no run id"
comp --config "$root" snapshots list --job ""
is "$got" "$(lines db-vacuum snap weekly)" "snapshots list --job <TAB>: the jobs"
comp --config "$root" snapshots restore "$want_snaps" --d
is "$got" "$(lines --db --dry-run)" "snapshots restore RUN-ID --d<TAB>: --db, --dry-run"

done_testing
