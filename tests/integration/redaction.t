#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/redaction.t - what upkeep redacts, end to end with the
# real binary and a real PostgreSQL (issue 15 item 10). A short variable
# whose name says nothing secret (APPDB=app) is shown as it is, so "happy
# apps on /srv/app/deploy" and "database 'app'" survive in the log, the
# plan, the run record (JSON) and the report (Markdown). Secrets appear
# nowhere (stdout, stderr, reports/**): a ${VAR} whose name says so
# (APP_TOKEN), variables listed under upkeep.yaml's `secrets:` (one named
# by ${VAR}, one only inherited by the step's shell), and the password of a
# literal DSN, wherever it is printed. psql is the independent witness that
# the DSN really authenticates with that password.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

pg_start

# A database named like the variable's short value, and a role that must
# give its password (scram) over the socket.
pw=Pw-Literal-7Q2x
psql -qc "create database app" && psql -qc "create role pwuser login password '$pw'" &&
	psql -d app -qc "create table t(i int); insert into t values (1); grant select on t to pwuser" ||
	bail_out "cannot set up the database"
hba=$PG_DATA/pg_hba.conf
{ echo "local all pwuser scram-sha-256"; cat "$hba"; } >"$hba.new" && cat "$hba.new" >"$hba"
psql -Atqc "select pg_reload_conf()" >/dev/null
for _ in $(seq 50); do
	PGPASSWORD=nope psql -U pwuser -Atqc 'select 1' >/dev/null 2>&1 || break
	sleep 0.1
done
is "$(PGPASSWORD=$pw psql -U pwuser -d app -Atqc 'select count(*) from t')" 1 \
	"set-up: pwuser logs in with the DSN's password (psql)"
fails "set-up: and not without it" env PGPASSWORD=nope psql -U pwuser -Atqc 'select 1'

export APPDB=app
export APP_TOKEN=tok-Zr81-secret
export DEPLOY_STAMP=stamp-K9x3-listed
export SHELL_ONLY=shell-only-Q7w2
plain='db=app; happy apps on /srv/app/deploy'

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: sunday\nstart: "Sun *-*-* 02:00"\nduration: 2h\n' >"$cfg/schedules/sunday.yaml"
printf 'secrets: [DEPLOY_STAMP, SHELL_ONLY]\n' >"$cfg/upkeep.yaml"
cat >"$cfg/jobs/j.yaml" <<YAML
job: j
windows: [sunday]
prechecks:
  - { name: db as pwuser, kind: postgres, dsn: "host=$PGHOST user=pwuser password=$pw dbname=\${APPDB}", query: "select count(*) from t", expect: "1" }
steps:
  - name: say
    kind: command
    timeout: 10s
    run: [sh, -c, 'echo "$plain"; echo "token=\${APP_TOKEN} stamp=\${DEPLOY_STAMP} shell=\$SHELL_ONLY pw=$pw"']
  - { name: vacuum app, kind: vacuum, timeout: 1m, dsn: "host=$PGHOST dbname=\${APPDB}", threshold: 0, scale_factor: 0 }
YAML
U() { "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' "$@"; }
# no_secret WHAT TEXT: none of the secrets is in TEXT.
no_secret() {
	local what=$1 text=$2 s found=
	for s in "$APP_TOKEN" "$DEPLOY_STAMP" "$SHELL_ONLY" "$pw"; do
		[[ $text == *"$s"* ]] && found="$found $s"
	done
	is "${found# }" "" "$what: no secret in it"
}

# ---- the plan ----------------------------------------------------------------
run U plan j
is "$rc" 0 "plan exits 0"
like "$out" "database 'app':" "plan: the vacuum's database is named, not redacted"
like "$out" "happy apps on /srv/app/deploy" "plan: the command's argv keeps the plain words"
unlike "$out$err" "h<redacted>y" "plan: no word cut by redaction"
no_secret "plan stdout and stderr" "$out$err"

# ---- the run ---------------------------------------------------------------
run U run j
is "$rc" 0 "run exits 0" || diag "$err"
json=$(ls "$cfg"/reports/runs/2026/*.json | head -1)
md=${json%.json}.md
tail=$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["steps"][0]["output_tail"])' "$json")
is "$(head -1 <<<"$tail")" "$plain" "record JSON: the step's output keeps 'app' ($plain)"
is "$(sed -n 2p <<<"$tail")" "token=<redacted> stamp=<redacted> shell=<redacted> pw=<redacted>" \
	"record JSON: the ones that are secret are redacted"
ok "report Markdown: the plain line is intact" grep -qF "$plain" "$md"
ok "record JSON: the vacuum's DSN names dbname=app" grep -qF "dbname=app" "$json"
reports=$(cat "$cfg"/reports/runs/*/* "$cfg"/reports/weekly/* 2>/dev/null)
no_secret "stdout and stderr of the run" "$out$err"
no_secret "reports/** (records, reports, weekly)" "$reports"
unlike "$reports" "h<redacted>y|/srv/<redacted>/" "reports: no word cut by redaction"

# ---- check prints the summary with the plain value ---------------------------
run "$UPKEEP" --config "$cfg" check
is "$rc" 0 "check: valid"
no_secret "check's summary" "$out$err"

done_testing
