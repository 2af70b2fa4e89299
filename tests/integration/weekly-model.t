#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/integration/weekly-model.t - the week's collected model
# (reports/weekly/YYYY-Www.model.json) with a vacuum's tables, against the
# real PostgreSQL fixture (issue 21: a big record costs little after its
# step, and the model does not grow by a copy of each run's tables):
# - runs in three weeks, each after dead tuples were made (psql) in four
#   of six tables: after every run the Markdown built incrementally, and
#   the collected model, are those rebuilt from the records (the first
#   run of a week takes the earlier weeks' tables from their models);
# - the model counts each table ([runs, first run]) instead of listing
#   every run's id, in the week and in the earlier weeks;
# - the recurring dead tuples are counted over the weeks and name the
#   first run (the trend's);
# - a model of the previous layout (version 2), of the week or of an
#   earlier week, and one whose tables are not counts, are rebuilt from
#   the records, not misread.
set -uo pipefail
# shellcheck source=../lib/servers.sh
. "$(dirname "$0")/../lib/servers.sh"
# shellcheck source=../lib/upkeep.sh
. "$(dirname "$0")/../lib/upkeep.sh"
PY=$UPKEEP_PYTHON

pg_start
cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 02:00"\nduration: 1h\n' >"$cfg/schedules/w.yaml"
printf 'job: vac\nwindows: [w]\nsteps:\n  - { name: vac, kind: vacuum, dsn: "dbname=app", select: all, jobs: 2, timeout: 1m }\n' \
	>"$cfg/jobs/vac.yaml"
U() { "$UPKEEP" --config "$cfg" "$@"; }
Q() { psql -v ON_ERROR_STOP=1 -d app -q "$@" >/dev/null; }

psql -qc "create database app" >/dev/null
Q -c "do \$\$ begin for i in 1..6 loop
	execute format('create table t%s as select g as id, md5(g::text) as v from generate_series(1, 100) g', i);
end loop; end \$\$" -c "vacuum analyze"
# Dead tuples in t1..t4 (every row updated), flushed to the statistics.
dirty() { Q -c "update t1 set v = v; update t2 set v = v; update t3 set v = v; update t4 set v = v" \
	-c "select pg_stat_force_next_flush()" -c "select 1"; }
# vac AT: a run of the job at AT, after making dead tuples.
vac() {
	dirty
	run U --now "$1" run vac
	is "$rc" 0 "$1: the vacuum run succeeded" || diag "$out$err"
}
model() { echo "$cfg/reports/weekly/$1.model.json"; }
# py WEEK EXPR: EXPR of m, the week's collected model, where tables(KEY)
# reads its tables ([[name, runs, first run], ...], name and run by their
# places in table_names and run_ids) as {name: [runs, first run]}.
py() {
	"$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
def tables(key):
	return {m["table_names"][t[0]]: [t[1], m["run_ids"][t[2]]] for t in m[key]}
print(eval(sys.argv[2]))' "$(model "$1")" "$2"
}
id_of() { basename "$(ls "$cfg"/reports/runs/2026/"$1"*.json)" .json; }
recurring() { grep -o "table 'public\\.t1' had dead tuples again in [0-9]* runs[^(]*(evidence: [^)]*)" "$cfg/reports/weekly/$1.md"; }

# ---- three weeks of runs ------------------------------------------------------
vac '2026-11-17 02:00'
same_as_rebuilt "W47, first run" '2026-11-17 02:00' 2026-W47
vac '2026-11-18 02:00'
same_as_rebuilt "W47, second run" '2026-11-18 02:00' 2026-W47
first=$(id_of 20261117T0200)
is "$(py 2026-W47 'sorted(tables("tables").items())')" \
	"$(printf "[('public.t1', [2, '%s']), ('public.t2', [2, '%s']), ('public.t3', [2, '%s']), ('public.t4', [2, '%s'])]" "$first" "$first" "$first" "$first")" \
	"the week's tables with dead tuples, each a count of runs and the first run"
is "$(py 2026-W47 'tables("prior_tables")')" "{}" "no earlier week has any"
vac '2026-11-24 02:00'
same_as_rebuilt "W48, first run (the earlier weeks from their models)" '2026-11-24 02:00' 2026-W48
vac '2026-11-25 02:00'
same_as_rebuilt "W48, second run" '2026-11-25 02:00' 2026-W48
is "$(py 2026-W48 'tables("prior_tables")["public.t2"], tables("tables")["public.t2"]')" \
	"([2, '$first'], [2, '$(id_of 20261124T0200)'])" "the earlier weeks' tables are counted apart from the week's"
is "$(py 2026-W48 'sum(1 for t in m["tables"] + m["prior_tables"] if not (len(t) == 3 and all(isinstance(x, int) for x in t)))')" \
	0 "no table lists its runs"
is "$(py 2026-W48 'sorted(m["table_names"])')" "['public.t1', 'public.t2', 'public.t3', 'public.t4', 'public.t5', 'public.t6']" \
	"each table's name is kept once (those with dead tuples, and the ratios')"
is "$(py 2026-W48 'len(m["run_ids"])')" 3 "each run id is kept once (the first runs of the week and of the earlier weeks, the last run the ratios are of)"
like "$(recurring 2026-W48)" "in 4 runs of the last 8 weeks.*evidence: $first" \
	"recurring dead tuples: counted over the weeks, the first run named"
unlike "$(cat "$cfg/reports/weekly/2026-W48.md")" "public\\.t5' had" "a table without dead tuples is not named"

# ---- an old model is rebuilt, not misread -------------------------------------
vac '2026-12-01 02:00'
same_as_rebuilt "W49, first run" '2026-12-01 02:00' 2026-W49
# The previous layout (version 2): each table's runs by id, under "this"
# and "trend_tables"; here emptied, as a misreading would show.
"$PY" - "$(model 2026-W49)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["version"] = 2
m["this"]["tables"] = {}
m["trend_tables"] = {}
del m["tables"], m["prior_tables"]
json.dump(m, open(sys.argv[1], "w"))
PY
vac '2026-12-02 02:00'
is "$(py 2026-W49 'm["version"]')" 3 "a version 2 model of the week is replaced"
like "$(recurring 2026-W49)" "in 6 runs of the last 8 weeks.*evidence: $first" "and its tables counted from the records"
same_as_rebuilt "W49, after a version 2 model" '2026-12-02 02:00' 2026-W49
# The current version with tables that are not counts.
"$PY" - "$(model 2026-W49)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["tables"] = [[t[0], {"run": 1}, t[2]] for t in m["tables"]]
json.dump(m, open(sys.argv[1], "w"))
PY
vac '2026-12-03 02:00'
like "$(recurring 2026-W49)" "in 7 runs of the last 8 weeks.*evidence: $first" "a model whose tables are not counts is rebuilt"
same_as_rebuilt "W49, after damaged tables" '2026-12-03 02:00' 2026-W49
# The first run of a week whose earlier week's model is of version 2.
"$PY" - "$(model 2026-W48)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["version"] = 2
m["this"]["tables"] = {}
del m["tables"]
json.dump(m, open(sys.argv[1], "w"))
PY
vac '2026-12-08 02:00'
like "$(recurring 2026-W50)" "in 8 runs of the last 8 weeks.*evidence: $first" \
	"a new week after an earlier week's version 2 model counts every run"
same_as_rebuilt "W50, after an earlier week's version 2 model" '2026-12-08 02:00' 2026-W50

done_testing
