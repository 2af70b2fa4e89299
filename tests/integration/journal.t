#!/usr/bin/env bash
# The journal of a run in progress (state_dir/journal/<run-id>.journal) is
# appended to, one checked entry per change. upkeep killed with SIGKILL
# during a step, then its journal cut short mid-entry (truncate: what a
# crash in the middle of an append leaves): the next upkeep ignores the
# torn last entry, rebuilds the run from the entries before it and closes
# it as interrupted, naming the step in flight; the step's process goes
# too. And a run's journal costs what changed, not the whole record at
# every step: a 300-step run writes well under 2 MB in all (before, the
# record was rewritten twice per step: about 37 MB). And what is synced,
# seen by strace: the run's first entry, each step's end before the next
# step's program starts, the run's end before its record replaces the
# journal, the record and its directory; no more (the last step's end goes
# to disk with the run's end, and the Markdown report, made again from the
# record by `upkeep report RUN-ID`, is not synced).
set -uo pipefail
. "$(dirname "$0")/../lib/upkeep.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
command -v strace >/dev/null || bail_out "strace is missing (scripts/deps.sh installs it)"

cfg=$tmp/cfg
mkdir -p "$cfg/schedules" "$cfg/jobs"
printf 'window: w\nstart: "*-*-* 00:00"\nduration: 23h\n' >"$cfg/schedules/w.yaml"
printf 'kill_grace: 1s\n' >"$cfg/upkeep.yaml"
U() { "$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' "$@"; }
newest() { ls -t "$cfg"/reports/runs/2026/*Z-"$1"-*.json | head -1; }
summary() { # summary RECORD: status, interrupted_step and the steps' statuses
	"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["status"], r.get("interrupted_step"), [s["status"] for s in r["steps"]])' "$1"
}

# ---- a torn last entry after a real crash ------------------------------------
cat >"$cfg/jobs/torn.yaml" <<YAML
job: torn
windows: [w]
steps:
  - { name: one, kind: command, run: ["true"], timeout: 1m }
  - { name: two, kind: command, shell: "echo \$\$ >$tmp/two.pid; exec sleep 3101", timeout: 10m }
YAML
"$UPKEEP" --config "$cfg" --now '2026-11-22 02:00' run torn >/dev/null 2>&1 &
pid=$!
# the entry with the step's pid is the last one written before it runs
for _ in $(seq 200); do
	[ -s "$tmp/two.pid" ] && grep -qs '"pid":' "$cfg"/state/journal/*.journal && break
	sleep 0.05
done
ok "step two is running and the journal has its pid" grep -qs '"in_flight":{"step":"two","pid":' "$cfg"/state/journal/*.journal
kill -9 "$pid"; wait "$pid" 2>/dev/null
journal=$(ls "$cfg"/state/journal/*.journal)
cp "$journal" "$tmp/journal.whole"
size=$(stat -c %s "$journal")
# where the last entry starts: cut there, in its header, in its body, and
# just its final newline
last=$(grep -b '^#upkeep-journal ' "$journal" | tail -1 | cut -d: -f1)
for cut in "$last" "$((last + 5))" "$((last + 40))" "$((size - 1))"; do
	cp "$tmp/journal.whole" "$journal"
	truncate -s "$cut" "$journal"
	run U history --job torn
	like "$err" "closed run .* as interrupted \\(it stopped during step two\\)" \
		"cut at byte $cut of $size: the run is closed, naming the step in flight"
	unlike "$err" "empty or corrupt" "cut at byte $cut: not taken for a lost journal"
	is "$(summary "$(newest torn)")" "interrupted two ['ok', 'interrupted']" \
		"cut at byte $cut: the record is what the whole entries say"
	is "$(find "$cfg/state/journal" -type f | wc -l)" 0 "cut at byte $cut: the journal is gone"
	r=$(newest torn); rm -f "$r" "${r%.json}.md"
done
sleep 0.3
is "$(pgrep -f '^sleep 3101$' | tr '\n' ' ')" "" "the step's process is gone (checked in /proc)"

# ---- an entry altered after it was written: nothing from it on is used -------
cp "$tmp/journal.whole" "$journal"
# same length, still JSON, but not what was written: step one's end
sed -i 's/"status":"ok"/"status":"no"/' "$journal"
run U history --job torn
is "$(summary "$(newest torn)")" "interrupted one ['interrupted']" \
	"recovery stops at the altered entry (step one never ended, as far as it can tell)"
rm -f "$(newest torn)"

# ---- what a run writes grows with the run, not with the run squared ----------
{
	printf 'job: many\nwindows: [w]\nsteps:\n'
	for i in $(seq 1 300); do
		printf '  - { name: s%d, kind: command, run: ["true"], timeout: 1m }\n' "$i"
	done
	# upkeep's own count of the bytes it wrote so far (its write calls)
	printf '  - { name: io, kind: command, shell: "grep ^wchar: /proc/$PPID/io >%s/io", timeout: 1m }\n' "$tmp"
} >"$cfg/jobs/many.yaml"
run U run many
is "$rc" 0 "a run of 300 steps succeeds"
wrote=$(awk '{print $2}' "$tmp/io" 2>/dev/null)
note "301 steps: upkeep wrote ${wrote:-?} bytes before its last step"
cmp_ok "${wrote:-999999999}" -lt 2000000 "it wrote under 2 MB by its last step (the whole record at every change was about 37 MB)"

# ---- what is synced, and when ------------------------------------------------
cat >"$cfg/jobs/synced.yaml" <<YAML
job: synced
windows: [w]
steps:
  - { name: one, kind: command, run: ["true", "step-one"], timeout: 1m }
  - { name: two, kind: command, run: ["true", "step-two"], timeout: 1m }
  - { name: three, kind: command, run: ["true", "step-three"], timeout: 1m }
YAML
# (LeakSanitizer cannot run under ptrace: a sanitizer build leaves it off.)
traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -y -s 4096 -e trace=write,fdatasync,fsync,execve,rename,unlink \
		-o "$tmp/sync.trace" "$UPKEEP" --config "$cfg" \
		--now '2026-11-22 02:00' run "$1" >/dev/null 2>&1
}
traced synced
is "$?" 0 "the traced run of three steps succeeds"
# One line per fact, from a trace in the order the calls completed: how
# many times the journal was synced, whether each step's (or check's)
# program started with every finished step before it on disk, whether
# the run's end was in the journal before the record was written (it is
# synced only should the record fail: the record's own fsync stands for
# it), and which files were fsynced, in order.
cat >"$tmp/sync-facts.py" <<'PY'
import codecs, json, re, sys
lines = open(sys.argv[1]).read().splitlines()
main = lines[0].split()[0]
pending, calls = {}, []
for l in lines:
    pid, rest = l.split(' ', 1)
    rest = rest.strip()
    if rest.endswith('<unfinished ...>'):
        pending[pid] = rest[:-len('<unfinished ...>')]
        continue
    m = re.match(r'<\.\.\. (\w+) resumed>(.*)', rest)
    if m:
        rest = pending.pop(pid, m.group(1) + '(') + m.group(2)
    calls.append((pid, rest))

def entry(call):
    """The journal entry a write call appends (strace's C string, decoded)."""
    m = re.search(r', "((?:[^"\\]|\\.)*)"', call)
    text = codecs.decode(m.group(1), 'unicode_escape')
    return json.loads(text.split('\n', 1)[1])

syncs = 0
done = set()        # steps whose end is in the journal
owed = set()        # ... and not synced yet
ended = end_synced = record_durable = False
for pid, c in calls:
    ok = re.search(r'\)\s+= 0$', c) is not None
    if pid == main and c.startswith('write(') and '.journal>' in c:
        e = entry(c)
        steps = e.get('set', {}).get('steps', [])
        steps += (e.get('items', {}).get('steps') or [0, []])[1]
        for st in steps:
            if st.get('status') == 'ok' and st['name'] not in done:
                done.add(st['name'])
                owed.add(st['name'])
        ended = ended or e.get('set', {}).get('status') in ('succeeded', 'failed')
    elif pid == main and c.startswith('fdatasync(') and ok:
        syncs += 1
        owed = set()
        end_synced = end_synced or ended
    elif c.startswith('execve(') and ok:
        m = re.search(r'"((?:step|check)-\w+)"', c)
        if m:
            print('exec %s after synced steps: %s' % (m.group(1), 'no' if owed else 'yes'))
    elif pid == main and c.startswith('rename(') and re.search(r'/runs/[^"]*\.json"\)', c):
        print('record renamed after the end was written: %s' % ('yes' if ended else 'no'))
        print('record renamed after the end was synced: %s' % ('yes' if end_synced else 'no'))
    if pid == main and c.startswith('unlink(') and '.journal"' in c and ok:
        print('journal removed after the record was on disk: %s' % ('yes' if record_durable else 'no'))
    if pid == main and c.startswith('fsync(') and ok and re.search(r'/runs/\d{4}>', c):
        record_durable = True
    if pid == main and c.startswith('fsync(') and ok:
        f = re.sub(r'[0-9]{8}T[0-9]{6}Z-\w+-[0-9a-f]+', 'RUN', re.search(r'<([^>]*)>', c).group(1))
        print('fsync ' + re.sub(r'\.tmp\w+$', '.tmp', f.split('/reports/')[-1].split('/state/')[-1]))
print('steps ended %d' % len(done))
print('journal syncs %d' % syncs)
PY
facts=$("$PY" "$tmp/sync-facts.py" "$tmp/sync.trace")
note "$facts"
for s in one two three; do
	like "$facts" "exec step-$s after synced steps: yes" \
		"step $s started with every finished step on disk"
done
like "$facts" "record renamed after the end was written: yes" \
	"the run's end was in the journal before its record was written"
like "$facts" "record renamed after the end was synced: no" \
	"and not synced there: the record's fsync stands for it"
like "$facts" "steps ended 3" "the journal has the three steps' ends"
like "$facts" "journal removed after the record was on disk: yes" \
	"the journal went only once the record and its directory were synced"
like "$facts" "journal syncs 3" \
	"the journal was synced 3 times: the start, before steps two and three"
like "$facts" "fsync runs/2026/RUN.json.tmp" "the record was fsynced"
like "$facts" "fsync runs/2026
" "and its directory"
unlike "$facts" "fsync runs/2026/RUN.md" "the Markdown report was not (made again from the record)"
ok "the Markdown report is there" test -s "$(newest synced | sed 's/json$/md/')"

# a validation check is a program too: the last step's end is on disk
# before it starts (without one, the run's end syncs it)
cat >"$cfg/jobs/validated.yaml" <<YAML
job: validated
windows: [w]
steps:
  - { name: one, kind: command, run: ["true", "step-one"], timeout: 1m }
validate:
  - { name: v, kind: command, run: ["true", "check-v"] }
YAML
traced validated
is "$?" 0 "the traced run with a validation check succeeds"
facts=$("$PY" "$tmp/sync-facts.py" "$tmp/sync.trace")
like "$facts" "exec check-v after synced steps: yes" \
	"the validation check started with the step's end on disk"

done_testing
