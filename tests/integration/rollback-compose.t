#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/rollback-compose.t - a tracked config that is a compose
# project, rolled back the way its runbook does it: `docker-compose down`
# on the broken files (tracked_config.before_restore), the files back to
# last-stable, `docker-compose up -d` (apply).
#
# The real docker-compose against the Podman fixture's Docker API (see
# tests/lib/containers.sh), in project_dir (a subdirectory of the git
# repository).  The service (busybox httpd) serves the value it read from
# conf/app.conf, a tracked file, when it started, and logs to a file
# outside the repository what it read at start and what app.conf said
# when it was told to stop: so the order of the phases is seen from the
# service's side, not from upkeep's.  Outcomes are checked with git, curl
# and podman.  Then the faults: a before_restore that fails (the broken
# commit broke the compose file itself: the rollback goes on), an apply
# that fails (rollback-failed), the compose CLI missing (named, with what
# to install; the files are still restored), `upkeep rollback` by hand,
# the plan and the dry run, and project_dir's validation.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

podman_start
podman_base_image
_server_require compose "docker-compose" docker-compose

port=$(free_port)
stack=$tmp/stack proj=$tmp/stack/deploy events=$tmp/log/events
cfg=$tmp/cfg
mkdir -p "$proj/conf" "$tmp/log" "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: daily\nduration: 1h\n' >"$cfg/schedules/w.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
G() { git -C "$stack" -c user.name=tester -c user.email=tester@example.invalid "$@"; }
field() {
	U history --json |
		"$PY" -c "import json,sys; r=json.load(sys.stdin)[-1]; print(eval(sys.argv[1]))" "$1"
}
# value: what the service serves now (curl, not upkeep); "" when nothing.
value() { curl -fsS --max-time 5 "http://127.0.0.1:$port/value" 2>/dev/null; }
# deploy ARGS...: what an operator does by hand, in the project directory.
deploy() {
	(cd "$proj" && compose_cli "$@") >"$tmp/compose.out" 2>&1 ||
		diag "docker-compose $*: $(cat "$tmp/compose.out")"
}
# serving VALUE: waits (up to 10s) until the service serves VALUE.
serving() {
	for _ in $(seq 100); do
		[ "$(value)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
cid() { podman_cli inspect --format '{{.Id}}' deploy_web_1 2>/dev/null; }
commit_value() { # VALUE MESSAGE
	printf 'value=%s\n' "$1" >"$proj/conf/app.conf"
	G commit -qam "$2"
}

# ---- the compose project, in a git repository --------------------------------
cat >"$proj/docker-compose.yml" <<EOF
version: "3"
services:
  web:
    image: $BASE_IMAGE
    network_mode: host
    volumes:
      - ./conf:/conf:ro
      - $tmp/log:/log
    command: ["/bin/sh", "/conf/serve.sh"]
EOF
# It reads app.conf once, at start; told to stop, it logs what app.conf
# says at that moment (the file on the host, through the bind mount).
cat >"$proj/conf/serve.sh" <<EOF
v=\$(cat /conf/app.conf)
trap 'echo "stop: app.conf says \$(cat /conf/app.conf)" >>/log/events; exit 0' TERM
echo "start: read \$v" >>/log/events
mkdir -p /tmp/www && echo "\$v" >/tmp/www/value
httpd -f -p 127.0.0.1:$port -h /tmp/www &
wait
EOF
printf 'value=good\n' >"$proj/conf/app.conf"
git init -q -b main "$stack" && G add -A && G commit -qm "good config"
good=$(G rev-parse HEAD)

# The validation probe: the served value, retried only while nothing
# answers (a service just started), failing at once on a wrong value.
cat >"$tmp/probe.sh" <<EOF
for i in \$(seq 100); do
	if v=\$(curl -fsS --max-time 2 http://127.0.0.1:$port/value 2>/dev/null); then
		[ "\$v" = "\$1" ]; exit
	fi
	sleep 0.1
done
exit 1
EOF
# job [APPLY...]: the job, with apply [docker-compose, up, -d] unless given.
job() {
	local apply=${*:-docker-compose, up, -d}
	cat >"$cfg/jobs/stack.yaml" <<YAML
job: stack
windows: [w]
tracked_config:
  repo: $stack
  project_dir: ./deploy/
  before_restore: [docker-compose, down]
  before_restore_timeout: 2m
  apply: [$apply]
  apply_timeout: 2m
steps:
  - { name: work, kind: command, run: [sh, -c, "test ! -e $tmp/fail-step"], on_failure: rollback }
validate:
  - { name: serves the good value, kind: command, run: [sh, $tmp/probe.sh, value=good], timeout: 30s }
YAML
}
job

deploy up -d
ok "the stack is up (docker-compose up -d by hand)" serving value=good
is "$(podman_cli inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' deploy_web_1)" deploy \
	"its compose project is named for project_dir"

run U run stack --ignore-window
is "$rc" 0 "a good run succeeds" || diag "$out$err"
is "$(G rev-parse refs/upkeep/last-stable)" "$good" "and makes the good commit last-stable"

# ---- the plan says what a rollback would run, in order, and where -----------
run U plan stack
like "$out" "a rollback runs, in $proj:" "the plan names the project directory (project_dir normalised)" ||
	diag "$out$err"
like "$out" "1\\. before_restore, on the files as they are \\(timeout 2m[^)]*\\): docker-compose down" \
	"1. before_restore, with its timeout"
like "$out" "2\\. the files return to last-stable" "2. the files"
like "$out" "3\\. apply \\(timeout 2m[^)]*\\): docker-compose up -d" "3. apply"

# ---- a bad config deployed: validation fails, the runbook's rollback ---------
commit_value bad "bad config"
bad=$(G rev-parse HEAD)
deploy up -d --force-recreate
ok "the bad config is deployed (it serves value=bad)" serving value=bad
old_cid=$(cid)
: >"$events"
t0=$(date +%s)
run U run stack --ignore-window
elapsed=$(($(date +%s) - t0))
is "$rc" 1 "the run exits 1" || diag "$out$err"
is "$(field 'r["status"]')" rolled-back "it ends rolled-back"
is "$(cat "$events")" $'stop: app.conf says value=bad\nstart: read value=good' \
	"the service was stopped while app.conf still said bad, then started on good"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$good^{tree}")" "git: the tree is last-stable's"
is "$(G rev-parse HEAD^)" "$bad" "git: the rollback commit is on top of the bad one"
is "$(G status --porcelain)" "" "git: the work tree is clean"
is "$(value)" value=good "curl: the service serves the good value"
is "$(podman_cli inspect --format '{{.State.Status}}' deploy_web_1)" running "podman: the service runs"
isnt "$(cid)" "$old_cid" "podman: in a new container (down removed the old one)"
is "$(field '[(p["name"], p["ok"]) for p in r["rollback"]["sequence"]]')" \
	"[('before_restore', True), ('restore', True), ('apply', True)]" "the record lists the three phases in order"
is "$(field 'r["rollback"]["before_restore"]["argv"], r["rollback"]["before_restore"]["cwd"], r["rollback"]["before_restore"]["exit_code"]')" \
	"(['docker-compose', 'down'], '$proj', 0)" "before_restore: argv, cwd, exit code"
is "$(field 'r["rollback"]["apply"]["argv"], r["rollback"]["apply"]["exit_code"]')" \
	"(['docker-compose', 'up', '-d'], 0)" "apply: argv, exit code"
like "$(field 'r["rollback"]["before_restore"]["output_tail"]')" "Removing deploy_web_1" \
	"before_restore's output tail is docker-compose's"
like "$(field 'r["rollback"]["apply"]["output_tail"]')" "Creating deploy_web_1" "... and apply's"
ok "durations are recorded" test "$(field 'r["rollback"]["apply"]["duration_ms"] > 0')" = True
is "$(field '"warning" in r["rollback"]')" False "no warning"
md=$(cat "$cfg"/reports/runs/*/"$(field 'r["run_id"]')".md)
like "$md" "\\| before_restore \\| before_restore 'docker-compose down' exited with 0, in $proj \\|" \
	"the report: before_restore's row"
like "$md" "\\| apply \\| apply 'docker-compose up -d' exited with 0, in $proj \\|" "... apply's"
like "$md" "output of before_restore" "... and before_restore's output"
cmp_ok "$elapsed" -lt 120 "the rollback took ${elapsed}s (under 120)"

# ---- before_restore fails: the broken commit broke the compose file ----------
job docker-compose, up, -d, --force-recreate
commit_value bad2 "bad value"
deploy up -d --force-recreate
ok "value=bad2 is deployed" serving value=bad2
printf '    bogus_key: 1\n' >>"$proj/docker-compose.yml"
G commit -qam "and a compose file docker-compose cannot read"
: >"$events"
run U run stack --ignore-window
is "$(field 'r["status"]')" rolled-back "before_restore failed, the rollback went on: rolled-back" ||
	diag "$out$err"
is "$(field '[(p["name"], p["ok"]) for p in r["rollback"]["sequence"]]')" \
	"[('before_restore', False), ('restore', True), ('apply', True)]" "the record: before_restore failed, the rest ran"
is "$(field 'r["rollback"]["before_restore"]["exit_code"]')" 1 "docker-compose down exited 1"
like "$(field 'r["rollback"]["before_restore"]["output_tail"]')" "bogus_key" "... saying why (its own words)"
like "$(field 'r["rollback"]["warning"]')" "before_restore 'docker-compose down' exited with 1; upkeep went on to restore the files and run apply" \
	"the record's warning says what happened"
like "$err" "before_restore 'docker-compose down' exited with 1; upkeep went on" "so does the log"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$good^{tree}")" "git: the files are back"
is "$(value)" value=good "curl: apply (--force-recreate) brought the good value back"
md=$(cat "$cfg"/reports/runs/*/"$(field 'r["run_id"]')".md)
like "$md" "\\| before_restore \\| \\*\\*FAILED\\*\\*: before_restore 'docker-compose down' exited with 1" \
	"the report marks before_restore FAILED"
like "$md" "\\| warning \\| before_restore 'docker-compose down' exited with 1; upkeep went on" "... with the warning"

# ---- apply fails: rollback-failed, the files are still restored ----------------
job docker-compose, up, -d, nosuchservice
commit_value bad3 "bad again"
deploy up -d --force-recreate
ok "value=bad3 is deployed" serving value=bad3
run U run stack --ignore-window
is "$(field 'r["status"]')" rollback-failed "apply fails: rollback-failed" || diag "$out$err"
is "$(field '[(p["name"], p["ok"]) for p in r["rollback"]["sequence"]]')" \
	"[('before_restore', True), ('restore', True), ('apply', False)]" "the record: apply failed"
is "$(field 'r["rollback"]["apply"]["exit_code"]')" 1 "docker-compose up exited 1"
like "$(field 'r["rollback"]["error"]')" "apply 'docker-compose up -d nosuchservice' exited with 1" "the error names apply"
like "$(field 'r["rollback"]["apply"]["output_tail"]')" "nosuchservice" "the output tail says why"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$good^{tree}")" "git: the files are back all the same"
is "$(podman_cli ps -a -q --filter name=deploy_web_1)" "" "podman: down had removed the service"
deploy up -d
ok "the operator brings it up by hand" serving value=good

# ---- the compose CLI missing --------------------------------------------------
job
commit_value bad4 "bad once more"
deploy up -d --force-recreate
ok "value=bad4 is deployed" serving value=bad4
nocompose=$tmp/nocompose-bin
mkdir -p "$nocompose"
for p in sh curl seq sleep test; do ln -sf "$(command -v "$p")" "$nocompose/$p"; done
run env PATH="$nocompose" "$UPKEEP" --config "$cfg" run stack --ignore-window
is "$(field 'r["status"]')" rollback-failed "no docker-compose: rollback-failed" || diag "$out$err"
like "$(field 'r["rollback"]["before_restore"]["summary"]')" \
	"did not start: 'docker-compose' \\(tracked_config.before_restore\\) is not installed: no such program on PATH \\($nocompose\\); install docker-compose \\(Debian: apt install docker-compose\\)" \
	"before_restore: names the program and what to install"
like "$(field 'r["rollback"]["error"]')" "'docker-compose' \\(tracked_config.apply\\) is not installed" "the error: apply, the same"
like "$err" "'docker-compose' \\(tracked_config.apply\\) is not installed" "said on stderr"
is "$(field 'r["rollback"]["apply"]["exit_code"]')" None "no exit code for what did not start"
is "$(G rev-parse 'HEAD^{tree}')" "$(G rev-parse "$good^{tree}")" "git: the files are still restored"
deploy up -d --force-recreate
ok "by hand again" serving value=good

# ---- upkeep rollback by hand: the same three phases --------------------------------
commit_value bad5 "a change rolled back by hand"
deploy up -d --force-recreate
ok "value=bad5 is deployed" serving value=bad5
run U rollback stack --dry-run
is "$rc" 0 "rollback --dry-run exits 0" || diag "$out$err"
like "$out" "would change 1 file:"$'\n'" +restored +deploy/conf/app.conf" "the dry run lists the file"
like "$out" "a rollback runs, in $proj:"$'\n'"  1\\. before_restore.*docker-compose down"$'\n'"  2\\. the files return to refs/upkeep/last-stable"$'\n'"  3\\. apply.*docker-compose up -d" \
	"... and the commands, in order"
is "$(value)" value=bad5 "the dry run stopped nothing"
: >"$events"
run U rollback stack
is "$rc" 0 "upkeep rollback exits 0" || diag "$out$err"
is "$(field 'r["trigger"], r["status"]')" "('manual rollback', 'rolled-back')" "recorded as a manual rollback"
is "$(field '[(p["name"], p["ok"]) for p in r["rollback"]["sequence"]]')" \
	"[('before_restore', True), ('restore', True), ('apply', True)]" "with its three phases"
is "$(cat "$events")" $'stop: app.conf says value=bad5\nstart: read value=good' "stopped on bad5, started on good"
is "$(value)" value=good "curl: good"

# ---- project_dir must stay inside the repository -----------------------------------
for bad_dir in ../elsewhere /srv/app deploy/../../x; do
	sed -i "s|^  project_dir: .*|  project_dir: $bad_dir|" "$cfg/jobs/stack.yaml"
	run U check
	is "$rc" 2 "project_dir: $bad_dir: a config error"
	like "$err" "stack.yaml:[0-9]+:[0-9]+: 'project_dir' must be a directory inside the repo, relative to it \\(such as deploy/prod\\), not '$bad_dir'" \
		"... saying what it must be"
done
# A project_dir the broken files turned into a symlink out of the repository.
job
rm -rf "$tmp/outside" && mkdir -p "$tmp/outside"
G rm -rq deploy && ln -s "$tmp/outside" "$stack/deploy" && G add deploy && G commit -qm "deploy is elsewhere"
touch "$tmp/fail-step"
run U run stack --ignore-window
rm -f "$tmp/fail-step"
like "$(field 'r["rollback"]["before_restore"]["summary"]')" "project_dir 'deploy' leads out of '$stack'" \
	"a project_dir leading out through a symlink: before_restore is not run there"
is "$(field 'r["status"]')" rolled-back "the files come back, apply runs in the real directory" || diag "$out$err"
is "$(value)" value=good "curl: good"

deploy down
done_testing
