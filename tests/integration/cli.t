#!/usr/bin/env bash
# The CLI frame of the real binary: --help, --version, `help CMD`, exit
# codes for usage errors, config-root discovery, and that the shipped
# config passes `upkeep check`.
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"

run "$UPKEEP" --help
is "$rc" 0 "--help exits 0"
like "$out" 'usage: upkeep \[--config DIR\] \[--now TIME\] COMMAND' "--help shows the usage line"
like "$out" 'check +Validate the config root' "--help lists the check command"
like "$out" 'Exit codes: 0 ok, 1 the run failed' "--help explains exit codes"

run "$UPKEEP" --version
is "$rc" 0 "--version exits 0"
like "$out" '^upkeep [0-9]+\.[0-9]+\.[0-9]+$' "--version prints a version"

run "$UPKEEP" help check
is "$rc" 0 "help check exits 0"
like "$out" 'usage: upkeep check \[--config DIR\] \[--quiet\]' "help check shows its synopsis"
like "$out" 'FILE:LINE:COL: MESSAGE' "help check says what errors look like"

run "$UPKEEP" check --help
is "$rc" 0 "check --help exits 0"
like "$out" 'usage: upkeep check' "check --help is the command's help"

run "$UPKEEP"
is "$rc" 2 "no command: exit 2"
like "$err" 'usage: upkeep' "no command: usage on stderr"

run "$UPKEEP" chek
is "$rc" 2 "unknown command: exit 2"
is "$err" "upkeep: unknown command 'chek' (did you mean 'check'?)" "unknown command suggests"

run "$UPKEEP" --frobnicate check
is "$rc" 2 "unknown global option: exit 2"
is "$err" "upkeep: unknown option '--frobnicate' (see 'upkeep --help')" "unknown option named"

run "$UPKEEP" check --bogus
is "$rc" 2 "unknown command option: exit 2"
like "$err" "^upkeep check: unknown option '--bogus'" "unknown command option named"

run "$UPKEEP" check -qz
is "$(printf '%s' "$err" | head -1)" "upkeep check: unknown option '-z'" \
	"an unknown short option inside a cluster is named, not the word before it"

run "$UPKEEP" check --config
is "$rc" 2 "--config without a value: exit 2"
like "$err" "^upkeep check: option '--config' needs a value" "missing value named"

run "$UPKEEP" check --config=
is "$rc" 2 "--config= (empty): exit 2"
like "$err" "needs a directory, not an empty string" "empty --config refused"

run "$UPKEEP" check extra
is "$rc" 2 "stray argument: exit 2"
like "$err" "unexpected argument 'extra'" "stray argument named"

run "$UPKEEP" help nosuch
is "$rc" 2 "help for an unknown command: exit 2"

# Every command parses its options from the table in its cmd_entry, so an
# unknown name gets the same "did you mean" wherever it is given, and a
# value outside an option's choices is refused the same way.
for cmd in "run weeky" "plan weeky" "rollback weeky"; do
	run "$UPKEEP" --config "$repo" $cmd
	is "$rc:$(printf '%s' "$err" | head -1)" \
	   "2:upkeep ${cmd%% *}: no job 'weeky' (did you mean 'weekly'?)" \
	   "$cmd: exit 2, suggests the job's name"
done
run "$UPKEEP" --config "$repo" rollback zzzzzzzz
like "$err" "^upkeep rollback: no job 'zzzzzzzz' \\('upkeep check' lists the jobs\\)" \
	"rollback of a name like none: says where the list is"
win=$(sed -n 's/^window: *//p' "$repo"/schedules/*.yaml | head -1)
run "$UPKEEP" --config "$repo" next "${win}x"
is "$rc:$(printf '%s' "$err" | head -1)" \
   "2:upkeep next: no window '${win}x' (did you mean '$win'?)" "next: suggests the window's name"
run "$UPKEEP" --config "$repo" snapshots lst
is "$rc:$(printf '%s' "$err" | head -1)" \
   "2:upkeep snapshots: no sub-command 'lst' (did you mean 'list'?)" "snapshots: suggests the sub-command"
run "$UPKEEP" --config "$repo" snapshots
like "$err" "^upkeep snapshots: which one: list, verify or restore\?" "snapshots alone: names the sub-commands"
for cmd in "run --log-format xml weekly" "daemon --log-format xml"; do
	run "$UPKEEP" --config "$repo" $cmd
	is "$rc:$(printf '%s' "$err" | head -1)" \
	   "2:upkeep ${cmd%% *}: --log-format is text or json, not 'xml'" "$cmd: the choices named"
done
run "$UPKEEP" snapshots restore --help
is "$rc" 0 "snapshots restore --help: exit 0"
like "$out" "^usage: upkeep snapshots restore RUN-ID --db NAME" "a sub-command's --help is its own"
like "$out" $'\n      --into DSN  ' "and lists its options from its table"
run "$UPKEEP" snapshots verify --timeout 0s x
like "$err" "^upkeep snapshots verify: --timeout: give a duration above zero" \
	"a sub-command's usage error names the sub-command"

# The synopsis is written by hand, the Options part comes from the table
# the parser reads: every option the synopsis names is in the table.
for cmd in run plan daemon next report history status rollback check \
	"snapshots list" "snapshots verify" "snapshots restore"; do
	help=$("$UPKEEP" $cmd --help)
	listed=$(awk '/^Options:/ { on = 1; next } on && /^$/ { exit } on' <<<"$help" |
		grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+$' | sort -u)
	named=$(grep -E '^(usage: |       )upkeep ' <<<"$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	missing=$(comm -23 <(echo "$named") <(printf '%s\n--config\n--help\n' "$listed" | sort -u) | tr '\n' ' ')
	is "$missing" "" "$cmd: every option of its synopsis is in its table"
done

# The shipped config is valid, found by --config, $UPKEEP_CONFIG or cwd.
run "$UPKEEP" check --config "$repo"
is "$rc" 0 "shipped config passes check" || diag "$err"
like "$out" 'config ok: .* \(2 windows, 2 jobs\)' "summary counts windows and jobs"
like "$out" 'job +weekly +windows: sunday; 3 pre-checks, 5 steps, 4 validation checks' "weekly job summarised"

run env UPKEEP_CONFIG="$repo" "$UPKEEP" check -q
is "$rc" 0 "UPKEEP_CONFIG names the root"
is "$out" "" "--quiet prints nothing on success"

if [ -d /etc/upkeep ]; then
	skip "the current directory is the default root" "/etc/upkeep exists on this host and comes first"
else
	run sh -c "cd '$tmp' && '$UPKEEP' check"
	is "$rc" 2 "the current directory is the default root (an empty one here)"
	like "$err" "^\\.: no config here" "the default root is named '.'"
fi

run "$UPKEEP" --config "$repo" check -q
is "$rc" 0 "--config works before the command too"

run "$UPKEEP" check --config "$tmp/nope"
is "$rc" 2 "missing root: exit 2"
is "$err" "$tmp/nope: config root is not a directory (use --config DIR or set UPKEEP_CONFIG)
upkeep check: 1 problem in config root '$tmp/nope'" "missing root explained"

mkdir -p "$tmp/empty"
run "$UPKEEP" check --config "$tmp/empty"
is "$rc" 2 "root without schedules/ or jobs/: exit 2"
like "$err" "no config here: expected schedules/\*.yaml and jobs/\*.yaml" "empty root explained"

# Every command that reads the config stops on a broken upkeep.yaml, the
# same way.
mkdir -p "$tmp/broken/jobs" "$tmp/broken/schedules"
printf 'window: w\nstart: "*-*-* 02:00"\nduration: 1h\n' >"$tmp/broken/schedules/w.yaml"
printf 'job: y\nwindows: [w]\nsteps:\n  - { name: s, kind: command, run: ["true"] }\n' >"$tmp/broken/jobs/y.yaml"
printf 'stepp_timeout: 5m\n' >"$tmp/broken/upkeep.yaml"
for cmd in "run y" "plan y" "next" "history" "report" "status" "snapshots list"; do
	run "$UPKEEP" --config "$tmp/broken" $cmd
	is "$rc:$(printf '%s' "$err" | tail -1)" \
	   "2:upkeep ${cmd%% *}: the config in '$tmp/broken' has problems; see 'upkeep check'" \
	   "$cmd on a broken upkeep.yaml: exit 2, names the file and the way out"
done
# A broken job file leaves out its job only: running it is refused, the
# commands that read records and windows go on, saying what was left out.
rm "$tmp/broken/upkeep.yaml"
printf 'job: x\n' >"$tmp/broken/jobs/x.yaml"
for cmd in "run x" "plan x"; do
	run "$UPKEEP" --config "$tmp/broken" $cmd
	is "$rc:$(printf '%s' "$err" | tail -1)" \
	   "2:upkeep ${cmd%% *}: job 'x' has problems (above); fix $tmp/broken/jobs/x.yaml, then see 'upkeep check'" \
	   "$cmd with x's file broken: exit 2, names the file and the way out"
done
for cmd in "next" "history" "report" "status" "snapshots list"; do
	run "$UPKEEP" --config "$tmp/broken" $cmd
	like "$rc:$err" "^[023]:.*jobs/x.yaml:1:1: .*1 job is left out for the problems above; the others go on" \
	   "$cmd with x's file broken: goes on, saying job x is left out"
done

done_testing
