#!/usr/bin/env python3
"""Oracle tests for upkeep's calendar: upkeep against independent implementations.

    calendar_oracle.py systemd --upkeep BIN   upkeep against systemd-analyze
    calendar_oracle.py cron    --upkeep BIN   upkeep against cron-parser (npm)

Run by tests/integration/calendar-oracle.t.  The output is a few lines for
the test to turn into TAP:

    CHECK 0|1 DESCRIPTION     one result (1 = passed)
    DIAG TEXT                 a diagnostic for the result printed before it

Exit status 0 when the run completed (whatever the results), 2 when the
oracle itself could not run.

systemd: deterministic generated systemd.time(7) specs (fixed seed) plus a
fixed list of probes (the systemd.time(7) man page's examples, edge cases,
DST-heavy specs), in six zones, from base times around the 2027 DST
transitions of both hemispheres and ordinary ones.  For every (zone, base):

  1. upkeep's next 20 openings must be what upkeep's DST rules (README,
     "Windows and time") give for the civil times the spec matches.  The
     civil times come from systemd-analyze too, in UTC, where civil time and
     instants coincide (no DST); python's zoneinfo (the system tz database)
     classifies each as normal, nonexistent (a gap: upkeep opens at the
     transition instant, the first instant after the gap) or ambiguous (an
     overlap: upkeep opens once, at the first occurrence).  An upkeep
     opening missing from systemd's iteration still counts when systemd
     confirms it as the first match from one second before it: systemd 252
     skips some matches (a repetition such as "03/17" that runs past the end
     of the last day of a month resumes the new month at the overflowed hour).
  2. upkeep's openings and systemd-analyze's own ones in that zone are
     compared as sets over the range both cover (systemd skips a start time
     that does not exist, so the lists drift apart).  Every difference must
     be DST-affected: an upkeep instant that stands for a nonexistent civil
     time (the transition instant) or for the first occurrence of an
     ambiguous one, or the first instant after a gap (which systemd's search
     can skip though it exists), or a systemd instant that is the second
     occurrence of an ambiguous civil time whose first occurrence upkeep
     has.  Or a normal upkeep instant systemd skipped and confirms from one
     second before (as above).  Anything else is a mismatch.  When systemd
     gives up on a spec near a transition ("Infinite loop in calendar
     calculation") only check 1 applies; the count is reported.

  Specs one side accepts and the other refuses fail the run unless the
  difference is documented (DOCUMENTED_DIFFERENCES below) or a known
  systemd bug (sd_eom_list_quirk).

cron: deterministic generated 5-field cron expressions (fixed seed) plus
probes, in UTC, against cron-parser (tests/oracle/node_modules, installed
with `npm ci --prefix tests/oracle`): the next 20 matches must be identical.
upkeep reads the day fields as cron-parser does (a day field is restricted
unless it is "*"). Where cron-parser lacks syntax cron(5) has (@midnight;
Sunday as both 0 and 7 in one list: for_cron_parser), it is given the
expression rewritten to what upkeep's rule says; those are counted.

    calendar_oracle.py list   prints the specs and expressions used

Self-tests of the oracle (each must make checks fail): UPKEEP_ORACLE_PERTURB=
systemd|cron moves one upkeep instant by one second before the comparison;
systemd-gap moves every upkeep opening at the end of a gap half an hour later
(as if a nonexistent 02:30 were read with the offset before the gap);
systemd-overlap replaces every first occurrence of an ambiguous time with the
second.
"""

import argparse
import calendar
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
N = 20                          # openings compared per spec and base
SEED_SYSTEMD = 20270328         # fixed seeds: the generated specs never change
SEED_CRON = 20271031
N_SYSTEMD = 560                 # generated systemd specs (plus the probes)
N_CRON = 330                    # generated cron expressions (plus the probes)
MIN_SYSTEMD_SPECS = 500         # compared, accepted by both sides
MIN_CRON_EXPRS = 300
MIN_DST = 5                     # DST-affected openings per kind and hemisphere
JOBS = max(2, min(4, os.cpu_count() or 2))

# hemisphere: which half of the DST coverage a zone counts for.
ZONES = [
    ("UTC", None),
    ("Europe/Berlin", "north"),
    ("America/New_York", "north"),
    ("Australia/Lord_Howe", "south"),     # 30-minute DST
    ("Asia/Kathmandu", None),             # +05:45, no DST
    ("America/Santiago", "south"),        # transitions at midnight
]


def utc_epoch(y, mo, d, h=0, mi=0, s=0):
    return int(datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc).timestamp())


# Ordinary base times (the README's --from, a mid-year one); zones without
# DST get a few more (month and year ends, a leap day).
ORDINARY_BASES = [utc_epoch(2026, 11, 22), utc_epoch(2027, 6, 15, 12, 34, 56)]
EXTRA_BASES_NO_DST = [utc_epoch(2027, 12, 31, 23, 0), utc_epoch(2028, 2, 28, 23, 59, 50)]
# Before each 2027 transition: shortly before (dense specs cross it), a few
# hours before (hourly ones) and a few days before (daily ones); sparse specs
# cross transitions from every base anyway.
BEFORE_TRANSITION = [100, 9000, 3 * 86400 + 3600]


# ---------------------------------------------------------------- output

def check(ok, desc, diags=()):
    print(f"CHECK {1 if ok else 0} {desc}")
    for d in diags:
        for line in str(d).splitlines() or [""]:
            print(f"DIAG {line}")
    sys.stdout.flush()


def die(msg):
    print(f"calendar_oracle.py: {msg}", file=sys.stderr)
    sys.exit(2)


def iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(t, zone):
    d = datetime.fromtimestamp(t, ZoneInfo(zone))
    return d.isoformat()


# ---------------------------------------------------------------- time zones

def offset(tz, t):
    return datetime.fromtimestamp(t, tz).utcoffset().total_seconds()


def transitions(zone, y0, y1):
    """[(instant, offset before, offset after)] in [y0-01-01, y1-01-01)."""
    tz = ZoneInfo(zone)
    out = []
    t, end = utc_epoch(y0, 1, 1), utc_epoch(y1, 1, 1)
    prev = offset(tz, t)
    while t < end:
        nt = t + 6 * 3600
        off = offset(tz, nt)
        if off != prev:
            lo, hi = t, nt          # offset(lo) == prev, offset(hi) == off
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(tz, mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append((hi, prev, off))
            prev = off
        t = nt
    return out


def naive_epoch(c):
    """A naive civil datetime read as if it were UTC (systemd's UTC mode)."""
    return calendar.timegm(c.timetuple())


class Resolver:
    """upkeep's DST rules for one zone, from zoneinfo."""

    def __init__(self, zone):
        self.zone = zone
        self.tz = ZoneInfo(zone)
        self.cache = {}

    def civil(self, t):
        return datetime.fromtimestamp(t, self.tz).replace(tzinfo=None)

    def resolve(self, c):
        """(kind, instant) of civil time c: kind is normal, gap or overlap.

        gap: c does not exist; the instant is the transition, the first
        instant after the gap.  overlap: c occurs twice; the instant is the
        first occurrence."""
        r = self.cache.get(c)
        if r is None:
            r = self.cache[c] = self._resolve(c)
        return r

    def _resolve(self, c):
        t0 = int(c.replace(tzinfo=self.tz, fold=0).timestamp())
        t1 = int(c.replace(tzinfo=self.tz, fold=1).timestamp())
        if self.civil(t0) != c:
            # Nonexistent (PEP 495: fold=0 uses the offset before the gap,
            # fold=1 the one after, so t1 < t0).  The transition is the
            # first instant in (t1, t0] with the later offset.
            lo, hi = min(t0, t1), max(t0, t1)
            after = offset(self.tz, hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(self.tz, mid) == after:
                    hi = mid
                else:
                    lo = mid
            assert offset(self.tz, hi - 1) < offset(self.tz, hi)
            return ("gap", hi)
        if t0 != t1:
            assert self.civil(t1) == c
            return ("overlap", min(t0, t1))
        return ("normal", t0)

    def second_occurrence_of(self, t):
        """If the civil time of instant t occurs twice and t is the later
        occurrence, the earlier one; else None."""
        c = self.civil(t)
        t0 = int(c.replace(tzinfo=self.tz, fold=0).timestamp())
        t1 = int(c.replace(tzinfo=self.tz, fold=1).timestamp())
        if t0 != t1 and self.civil(t0) == c and self.civil(t1) == c and t == max(t0, t1):
            return min(t0, t1)
        return None

    def is_transition_after_gap(self, t):
        return offset(self.tz, t - 1) < offset(self.tz, t)


# ---------------------------------------------------------------- running tools

def run(cmd, env=None, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def pmap(fn, items, processes=False):
    """fn over items, JOBS at a time (in processes: the work is partly in
    python, which threads would serialize)."""
    pool = ProcessPoolExecutor if processes else ThreadPoolExecutor
    with pool(max_workers=JOBS) as ex:
        return list(ex.map(fn, items))


SD_ITER = re.compile(r"^\s*(Next elapse|Iter\. #\d+|\(in UTC\)):\s*(.*?)\s*$")
SD_FAILED = re.compile(r"^Failed to parse calendar specification '(.*)': (.*)$")
# systemd gives up on some specs near DST transitions ("Infinite loop in
# calendar calculation"); then it prints nothing else for the spec.
SD_GAVE_UP = re.compile(r"^Failed to determine next elapse for '(.*)': (.*)$")


SD_TIME = re.compile(r"^\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$")


def parse_sd_time(text):
    # "Sun 2027-03-28 01:00:00 UTC" (sliced: strptime is slow)
    if not SD_TIME.match(text):
        raise ValueError(f"cannot read systemd-analyze time '{text}'")
    return datetime(int(text[4:8]), int(text[9:11]), int(text[12:14]),
                     int(text[15:17]), int(text[18:20]), int(text[21:23]))


def systemd_analyze(specs, base, iterations, tz_env="UTC"):
    """{spec: ([naive UTC datetimes], normalized) | ('error', message) |
    ('gave up', message)}.

    systemd-analyze prints one block per spec it can parse, in order,
    separated by blank lines: 'Original form:' (left out when the spec is
    already in normalized form), 'Normalized form:', then 'Next elapse:'
    and 'Iter. #2:' ... (or 'Next elapse: never'); a spec it cannot parse
    has no block, only a 'Failed to parse calendar specification' line on
    stderr.  Times are read in UTC: with TZ=UTC the iterations are printed
    in UTC; with another TZ each is followed by an '(in UTC):' line, which
    is the one used."""
    out = {}
    env = dict(os.environ, TZ=tz_env, LC_ALL="C", SYSTEMD_COLORS="0", SYSTEMD_PAGER="")
    chunk = 400
    for i in range(0, len(specs), chunk):
        part = specs[i:i + chunk]
        rc, so, se = run(["systemd-analyze", "calendar", f"--iterations={iterations}",
                          f"--base-time=@{base}", *part], env=env)
        failed = {}
        for line in se.splitlines():
            m = SD_FAILED.match(line)
            if m:
                failed[m.group(1)] = ("error", m.group(2))
            m = SD_GAVE_UP.match(line)
            if m:
                failed[m.group(1)] = ("gave up", m.group(2))
        blocks, cur = [], None
        for line in so.splitlines():
            s = line.strip()
            if not s:
                cur = None
                continue
            if cur is None:
                cur = {"original": None, "normalized": None, "times": []}
                blocks.append(cur)
            if s.startswith("Original form:"):
                cur["original"] = s[len("Original form:"):].strip()
            elif s.startswith("Normalized form:"):
                cur["normalized"] = s[len("Normalized form:"):].strip()
            else:
                m = SD_ITER.match(line)
                if not m:
                    continue
                label, val = m.groups()
                if val == "never":
                    continue
                if label == "(in UTC)":
                    cur["times"][-1] = parse_sd_time(val)
                elif val.endswith(" UTC"):
                    cur["times"].append(parse_sd_time(val))
                else:
                    cur["times"].append(None)       # the (in UTC) line follows
        parsed = [sp for sp in part if sp not in failed]
        if len(parsed) != len(blocks):
            raise RuntimeError(f"systemd-analyze (rc {rc}) printed {len(blocks)} blocks for "
                               f"{len(parsed)} specs it parsed: {se[:300]}")
        for sp, b in zip(parsed, blocks):
            name = b["original"] or b["normalized"]
            if name != sp or None in b["times"]:
                raise RuntimeError(f"systemd-analyze's block for '{sp}' is about '{name}'")
            out[sp] = (b["times"], b["normalized"])
        out.update(failed)
    return out


UP_BAD = re.compile(r"invalid calendar spec '(.*?)': (.*)$", re.M)


def upkeep_next(upkeep, specs, zone, base, n=N):
    """{spec: [epochs] } for specs upkeep accepts, plus {spec: ('error', msg)}.

    One process for all specs; a spec upkeep refuses stops the run, so it is
    noted and the rest run again."""
    out = {}
    todo = list(specs)
    while todo:
        args = [upkeep, "next"]
        for s in todo:
            args += ["--spec", s]
        args += ["--timezone", zone, "-n", str(n), "--from", f"@{base}", "--json"]
        rc, so, se = run(args, env=dict(os.environ, TZ="UTC"))
        if rc == 0:
            for entry in json.loads(so):
                spec = entry["spec"]
                if entry.get("timezone") != zone:
                    raise RuntimeError(f"upkeep says zone {entry.get('timezone')} for '{spec}', asked {zone}")
                out[spec] = entry["openings"]
            break
        m = UP_BAD.search(se)
        if not m or m.group(1) not in todo:
            # Cannot tell which spec: one by one.
            if len(todo) == 1:
                out[todo[0]] = ("error", se.strip())
                break
            for s in todo:
                out.update(upkeep_next(upkeep, [s], zone, base, n))
            break
        out[m.group(1)] = ("error", m.group(2).strip())
        todo.remove(m.group(1))
    return out


# ---------------------------------------------------------------- systemd specs

WD_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WD_LONG = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SHORTCUTS = ["minutely", "hourly", "daily", "weekly", "monthly", "quarterly",
             "semiannually", "yearly", "annually"]


def wd_name(r, i):
    name = (WD_SHORT if r.random() < 0.8 else WD_LONG)[i]
    return r.choices([name, name.lower(), name.upper()], [6, 2, 1])[0]


def gen_weekdays(r):
    kind = r.choices(["one", "list", "range", "range+list"], [3, 3, 3, 2])[0]
    if kind == "one":
        return wd_name(r, r.randrange(7))
    if kind == "list":
        days = r.sample(range(7), r.randint(2, 3))
        if r.random() < 0.7:
            days.sort()
        return ",".join(wd_name(r, d) for d in days)
    a = r.randrange(6)
    b = r.randrange(a + 1, 7)
    rng = f"{wd_name(r, a)}..{wd_name(r, b)}"
    if kind == "range":
        return rng
    others = [d for d in range(7) if d < a or d > b]
    if not others:
        return rng
    return rng + "," + wd_name(r, r.choice(others))


def num(r, v, width=2):
    return f"{v:0{width}d}" if r.random() < 0.5 else str(v)


def pick(r, lo, hi, hot):
    if hot and r.random() < 0.5:
        return r.choice(hot)
    return r.randint(lo, hi)


def gen_field(r, lo, hi, hot=(), star=1.0, width=2):
    """One systemd field: *, V, list, A..B, A..B/S, V/S or a mixed list.
    Repetitions stay within what systemd accepts (start + step <= max)."""
    kind = r.choices(["star", "one", "list", "range", "rangestep", "rep", "mixed"],
                     [star, 4, 3, 2, 1.5, 2, 1.5])[0]
    if kind == "star":
        return "*"
    if kind == "one":
        return num(r, pick(r, lo, hi, hot), width)
    if kind == "list":
        vals = sorted({pick(r, lo, hi, hot) for _ in range(r.randint(2, 4))})
        if r.random() < 0.2:
            r.shuffle(vals)
        return ",".join(num(r, v, width) for v in vals)
    if kind in ("range", "rangestep"):
        a = pick(r, lo, hi - 1, [h for h in hot if h < hi])
        b = r.randint(a + 1, min(hi, a + r.choice([1, 2, 3, 6, hi])))
        if kind == "range":
            return f"{num(r, a, width)}..{num(r, b, width)}"
        if a == hi:
            return num(r, a, width)
        s = r.randint(1, max(1, min(hi - a, (b - a) + 2)))
        return f"{num(r, a, width)}..{num(r, b, width)}/{s}"
    if kind == "rep":
        a = pick(r, lo, max(lo, hi - 1), [h for h in hot if h < hi])
        s = r.randint(1, hi - a)
        return f"{num(r, a, width)}/{s}"
    parts = [gen_field(r, lo, hi, hot, star=0, width=width) for _ in range(2)]
    return ",".join(parts)


def gen_days_from_end(r):
    """Days counted from the month's end ("~"): 1..28 (systemd's range);
    a repetition counts down, so it stays above 0 (systemd refuses less)."""
    kind = r.choices(["one", "list", "range", "rep"], [4, 2, 2, 2])[0]
    if kind == "one":
        return num(r, r.randint(1, 7) if r.random() < 0.7 else r.randint(1, 28))
    if kind == "list":
        # the k-th value at most 28 - 3k (sd_eom_list_quirk)
        vals = sorted(r.sample(range(1, 23), r.randint(2, 3)))
        vals = [v for k, v in enumerate(vals) if v <= 28 - 3 * k] or [vals[0]]
        return ",".join(num(r, v) for v in vals)
    if kind == "range":
        a = r.randint(1, 10)
        return f"{num(r, a)}..{num(r, r.randint(a + 1, min(28, a + 7)))}"
    a = r.randint(2, 28)
    return f"{num(r, a)}/{r.randint(1, a - 1)}"


def gen_year(r):
    return r.choices(["*", "2027", "2028", "2026..2029", "2027,2029", "2027/2",
                      "2026..2035/3", "2028..2030"], [10, 2, 1, 1, 1, 1, 1, 1])[0]


DAY_HOT = [1, 5, 15, 28, 29, 30, 31]
HOUR_HOT = [0, 1, 2, 3, 23]     # where 2027's transitions are, in the zones used
MIN_HOT = [0, 15, 30, 45]


def gen_date(r):
    kind = r.choices(["all", "md", "ymd", "md2", "last", "ylast"], [1, 5, 3, 2, 3, 1])[0]
    month = gen_field(r, 1, 12, hot=[3, 4, 9, 10, 11], star=3)
    if kind == "all":
        return "*-*-*"
    if kind in ("last", "ylast"):
        dl = gen_days_from_end(r)
        m = gen_field(r, 1, 12, hot=[2, 3, 4, 9, 10], star=3)
        if kind == "ylast":
            return f"{gen_year(r)}-{m}~{dl}"
        return f"*-{m}~{dl}" if r.random() < 0.7 else f"{m}~{dl}"
    day = gen_field(r, 1, 31, hot=DAY_HOT, star=2)
    if kind == "md":
        return f"*-{month}-{day}"
    if kind == "md2":
        return f"{month}-{day}"
    return f"{gen_year(r)}-{month}-{day}"


def gen_time(r):
    hour = gen_field(r, 0, 23, hot=HOUR_HOT, star=1.5)
    minute = gen_field(r, 0, 59, hot=MIN_HOT, star=0.7)
    if r.random() < 0.3:
        second = gen_field(r, 0, 59, hot=[0, 30], star=0.3)
        return f"{hour}:{minute}:{second}"
    return f"{hour}:{minute}"


def gen_systemd(n, seed):
    r = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        if r.random() < 0.04:
            s = r.choice(SHORTCUTS)
            s = r.choices([s, s.capitalize(), s.upper()], [6, 1, 1])[0]
        else:
            parts = []
            if r.random() < 0.35:
                parts.append(gen_weekdays(r))
            if r.random() < 0.55:
                parts.append(gen_date(r))
            if r.random() < 0.85 or not parts:
                parts.append(gen_time(r))
            s = " ".join(parts)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


# Fixed probes: the man page's examples (systemd.time(7), "CALENDAR EVENTS"),
# DST-heavy specs and edge cases of the syntax.
MAN_PAGE_EXAMPLES = [
    # systemd.time(7) examples, as written there
    "Thu,Fri 2012-*-1,5 11:12:13", "Sat,Thu,Mon..Wed,Sat..Sun", "Mon,Sun 12-*-* 2,1:23",
    "Wed *-1", "Wed..Wed,Wed *-1", "Wed, 17:48", "Wed..Sat,Tue 12-10-15 1:2:3",
    "*-*-7 0:0:0", "10-15", "monday *-12-* 17:00", "Mon,Fri *-*-3,1,2 *:30:45",
    "12,14,13,12:20,10,30", "12..14:10,20,30", "mon,fri *-1/2-1,3 *:30:45",
    "03-05 08:05:40", "08:05:40", "05:40", "Sat,Sun 12-05 08:05:40", "Sat,Sun 08:05:40",
    "2003-03-05 05:40", "05:40:23.4200004/3.1700005", "2003-02..04-05", "2003-03-05",
    "03-05", "hourly", "daily", "monthly", "weekly", "yearly", "annually", "*:2/3",
    "*-02~03", "Mon *-05~07/1",
]
DST_PROBES = [
    # DST: start times in the 2027 gaps and overlaps of the zones used
    "Sun 02:30", "*-*-* 02:30", "*-*-* 02:00", "*-*-* 02:59:59", "*-*-* 01:30",
    "*-*-* 01:45", "*-*-* 02:15", "*-*-* 00:30", "*-*-* 00:00:30", "Sat 23:30",
    "*-*-* 23:15", "Sun *-*-* 00..03:00/10", "*:0/15", "*:0/10", "*:0/20", "*:*:0/20",
    "*:*:0/30", "*:*:*", "*:*", "*-*-* 0,1,2,3:0/30", "*-*-* 1..3:*:00",
    "Sun,Sat *-03,04,09,10,11-* 0..3,23:0/15", "minutely", "*-*-* *:30",
]
SYSTEMD_PROBES = MAN_PAGE_EXAMPLES + DST_PROBES + [
    # edges of the syntax
    "*-*-31", "*-02-29", "2028-02-29 12:00", "*-*~01", "*-*~1,15", "*-*~7/2",
    "*-*~02/1", "*-*~20..28", "Mon..Fri 22:30", "Sat,Sun 10:00", "Sun *-*~1 04:00",
    "2027..2035/3-*-* 00:00", "*-1/3-1", "*:0/59", "0/23:00", "1..5/10:00",
    "*-*-1..31/40", "002:00", "2:0", "12:00:30", "00:00:0/20", "*-* 12:00",
    "*-*-* *:*:*", "2199-12-31 23:59:59", "*-1..6/2-* 6:00",
    # repetitions systemd refuses (the first repeat is past the field's end)
    "*:0/90", "0/24:00", "*-*-31/2", "*-*~3/5", "*-*~1/1", "*-2/11-1",
    # "~" beyond 28 (systemd refuses)
    "*-*~29", "*-*~31", "*-*~28..31",
    # systemd's "~" list quirk (sd_eom_list_quirk)
    "*-*~25,26", "*-*~1,14,25 03:00",
    # weekday range with "-" (systemd accepts, undocumented)
    "Mon-Fri 02:00",
    # refused by design: cron's */STEP, a zone inside the spec, never
    "*:*/15", "*/2:00", "Sun 02:00 Europe/Berlin", "daily UTC", "*-02-30", "2027-02-29",
]

# Acceptance differences that are documented, so they do not fail the run:
# (name, where documented, predicate(spec, systemd state, upkeep error)),
# systemd state being "ok", "never" or "error", upkeep error None when upkeep
# accepts the spec.  A new entry belongs here only once the difference is
# documented for users (README "Windows and time").
DOCUMENTED_DIFFERENCES = [
    ("a zone inside the spec (upkeep: the window's timezone: instead)",
     "calendar.c parse_systemd ('a time zone in the spec ... is not supported')",
     lambda spec, sd, up: up is not None and has_zone(spec)),
    ("cron's */STEP in a systemd spec (systemd refuses it too)",
     "calendar.c parse_field",
     lambda spec, sd, up: up is not None and "'*/STEP' is cron syntax" in up),
    ("fractional seconds (upkeep works in whole seconds)",
     "README, Windows and time",
     lambda spec, sd, up: up is not None and "fractional seconds" in up),
    ("a spec that never matches is refused (systemd: 'never')",
     "README, Windows and time",
     lambda spec, sd, up: up is not None and "never matches a real date" in up
     and sd == "never"),
]


def sd_eom_list_quirk(spec):
    """systemd 252 refuses a "~" day list whose k-th value (counting from 0,
    sorted) is above 28 - 3k, e.g. "*-*~25,26" or "*-*~1,14,25", although
    each value alone is fine (chain_valid() lowers its limit by 3 again for
    every further item of the list).  A bug in the oracle, not a difference
    to fix in upkeep.  Returns the spec with the list cut to its first value
    (which systemd must then accept), or None."""
    m = re.search(r"~([0-9.,/]+)", spec)
    if not m or "," not in m.group(1):
        return None
    items = []
    for it in m.group(1).split(","):
        a, _, rep = it.partition("/")
        lo, _, hi = a.partition("..")
        items.append((int(lo), int(hi) if hi else -1, int(rep) if rep else 0))
    items.sort()
    if any(max(lo, hi) > 28 for lo, hi, _ in items):
        return None
    if not any(max(lo, hi) > 28 - 3 * k for k, (lo, hi, _) in enumerate(items)):
        return None
    return spec[:m.start(1)] + m.group(1).split(",")[0] + spec[m.end(1):]


def features(spec):
    """The syntax features a systemd spec uses (for the coverage check)."""
    f = set()
    if spec.lower() in SHORTCUTS:
        return {"shortcut"}
    toks = spec.split()
    if toks and toks[0][0].isalpha():
        f.add("weekday")
        if ".." in toks[0]:
            f.add("weekday range")
        if "," in toks[0]:
            f.add("weekday list")
        toks = toks[1:]
    for t in toks:
        kind = "time" if ":" in t else "date"
        if kind == "date" and "~" in t:
            f.add("date ~")
        if kind == "date" and t.count("-") + t.count("~") == 2 and not t.startswith("*-"):
            f.add("date year")
        for sym, name in ((",", "list"), ("..", "range"), ("/", "repetition")):
            if sym in t:
                f.add(f"{kind} {name}")
        if kind == "time" and t.count(":") == 2:
            f.add("time seconds")
    return f


FEATURES = ["weekday list", "weekday range", "date list", "date range", "date repetition",
            "date ~", "date year", "time list", "time range", "time repetition",
            "time seconds", "shortcut"]
MIN_FEATURE = 10


def has_zone(spec):
    last = spec.split()[-1]
    return last == "UTC" or "/" in last and last[0].isalpha()


def systemd_main(upkeep):
    started = time.time()
    perturb = {"systemd": "one", "systemd-gap": "gap", "systemd-overlap": "overlap"}.get(
        os.environ.get("UPKEEP_ORACLE_PERTURB", ""))
    generated = gen_systemd(N_SYSTEMD, SEED_SYSTEMD)
    specs = list(dict.fromkeys(SYSTEMD_PROBES + generated))

    # ---- acceptance: systemd (in UTC) and upkeep
    probe_base = utc_epoch(2027, 3, 1)
    sd_form = {s: (s if has_zone(s) else f"{s} UTC") for s in specs}
    sd = systemd_analyze(list(sd_form.values()), probe_base, 1)
    up = upkeep_next(upkeep, specs, "UTC", probe_base, 1)
    both, findings, documented, quirks = [], [], {}, []
    refused_by_both = 0
    # systemd's "~" list quirk: the spec cut to its first "~" value must be
    # one systemd accepts, else the refusal has another reason.
    cut = {s: sd_eom_list_quirk(s) for s in specs}
    cut_ok = systemd_analyze(sorted({f"{c} UTC" for c in cut.values() if c}), probe_base, 1)
    for s in specs:
        r = sd[sd_form[s]]
        sd_state = "error" if r[0] == "error" else ("never" if not r[0] else "ok")
        up_err = up[s][1] if isinstance(up[s], tuple) else None
        if sd_state != "error" and up_err is None:
            if not has_zone(s):
                both.append(s)
            continue
        if sd_state == "error" and up_err is not None:
            refused_by_both += 1
            continue
        if sd_state == "error" and cut[s] and cut_ok[f"{cut[s]} UTC"][0] != "error":
            quirks.append(s)
            continue
        for name, _where, pred in DOCUMENTED_DIFFERENCES:
            if pred(s, sd_state, up_err):
                documented.setdefault(name, []).append(s)
                break
        else:
            if sd_state == "error":
                findings.append((s, "systemd-analyze refuses, upkeep accepts",
                                 f"'{s}': systemd-analyze: {r[1]}"))
            else:
                key = "upkeep refuses: " + re.sub(r"'[^']*'", "'…'", up_err)
                findings.append((s, key, f"'{s}': systemd-analyze: '{r[1]}'; upkeep: {up_err}"))
    diags = [f"{len(specs)} specs ({len(SYSTEMD_PROBES)} probes, {len(generated)} generated, "
             f"seed {SEED_SYSTEMD}): {len(both)} accepted by both, {refused_by_both} refused "
             f"by both, {sum(map(len, documented.values()))} documented differences, "
             f"{len(findings)} undocumented"]
    for name, ss in documented.items():
        diags.append(f"  documented: {name}: {len(ss)} ({', '.join(repr(x) for x in ss[:3])})")
        for x in ss:
            if has_zone(x) and "time zone" not in up[x][1]:
                diags.append(f"    (refused, but the message does not say it is the zone: "
                             f"'{x}': {up[x][1]})")
    if quirks:
        diags.append(f"  systemd's '~' list quirk (see sd_eom_list_quirk), upkeep accepts: "
                     f"{len(quirks)} ({', '.join(repr(x) for x in quirks[:3])})")
    if findings:
        # Grouped by reason (upkeep's message without the quoted parts).
        groups = {}
        for spec, key, text in findings:
            groups.setdefault(key, []).append(text)
        diags.append("specs one side accepts and the other refuses (undocumented), by reason:")
        for key, texts in sorted(groups.items(), key=lambda kv: -len(kv[1])):
            diags.append(f"  {len(texts)} x {key}:")
            diags += ["    " + t for t in texts[:12 if key.startswith("systemd") else 4]]
            if len(texts) > (12 if key.startswith("systemd") else 4):
                diags.append("    ...")
    check(not findings, "systemd-analyze and upkeep accept and refuse the same specs", diags)

    # ---- the comparisons, one job per (zone, base)
    jobs, near = [], set()
    for zone, hemi in ZONES:
        bases = list(ORDINARY_BASES)
        if hemi is None:
            bases += EXTRA_BASES_NO_DST
        else:
            for (t, before, after) in transitions(zone, 2027, 2028):
                bases += [t - d for d in BEFORE_TRANSITION]
                near.update(t - d for d in BEFORE_TRANSITION[:2])
        for b in bases:
            jobs.append((zone, hemi, b))

    results = pmap(run_job, [(upkeep, both, *j, near,
                              perturb if perturb != "one" or j == jobs[1] else None)
                             for j in jobs], processes=True)

    # ---- per zone
    total = {"compared": 0, "agree": 0, "explained": 0, "affected": 0, "upkeep": 0}
    coverage = {}
    for zone, hemi in ZONES:
        rs = [r for r in results if r["zone"] == zone]
        agg = {k: sum(r[k] for r in rs) for k in total}
        for k in total:
            total[k] += agg[k]
        problems = [p for r in rs for p in r["problems"]]
        kinds = {}
        for r in rs:
            for k, v in r["affected_kinds"].items():
                kinds[k] = kinds.get(k, 0) + v
                if hemi:
                    coverage[(k, hemi)] = coverage.get((k, hemi), 0) + v
        expl = {}
        for r in rs:
            for k, v in r["explained_kinds"].items():
                expl[k] = expl.get(k, 0) + v
        diags = [f"{len(both)} specs x {len(rs)} base times: {agg['upkeep']} upkeep openings, "
                 f"{agg['compared']} occurrences compared with systemd-analyze, {agg['agree']} "
                 f"the same, {agg['explained']} DST-explained differences "
                 f"({', '.join(f'{k} {v}' for k, v in sorted(expl.items())) or 'none'}); "
                 f"DST-affected upkeep openings: "
                 f"{', '.join(f'{k} {v}' for k, v in sorted(kinds.items())) or 'none'}"]
        gave_up = [(r["base"], sp) for r in rs for sp in r["gave_up"]]
        if gave_up:
            diags.append(f"systemd-analyze gave up ('Infinite loop in calendar calculation') on "
                         f"{len(gave_up)} spec/base pairs (only upkeep's rules checked there), e.g. "
                         + "; ".join(f"'{sp}' from {iso(b)}" for b, sp in gave_up[:3]))
        skipped = [x for r in rs for x in r["sd_skipped"]]
        if skipped:
            diags.append(f"systemd's iteration skipped {len(skipped)} matches that it confirms "
                         f"when asked from just before them (counted as agreeing), e.g. "
                         + "; ".join(skipped[:3]))
        cc = sum(r["crosschecked"] for r in rs)
        if cc:
            diags.append(f"'SPEC {zone}' under TZ=UTC and TZ={zone} agree on {cc} DST probe runs")
        if problems:
            diags.append(f"{len(problems)} problems; the first ones:")
            diags += problems[:6]
        check(not problems, f"{zone}: upkeep agrees with systemd-analyze away from DST "
                            f"transitions and follows its DST rules at them", diags)

    # ---- coverage
    cov = {f"{k} {h}": coverage.get((k, h), 0) for k in ("gap", "overlap") for h in ("north", "south")}
    gap_diffs = {h: sum(r["explained_kinds"].get("gap", 0) for r in results
                        if dict(ZONES)[r["zone"]] == h) for h in ("north", "south")}
    ovl_diffs = {h: sum(v for r in results if dict(ZONES)[r["zone"]] == h
                        for k, v in r["explained_kinds"].items() if k.startswith("overlap"))
                 for h in ("north", "south")}
    cov_ok = all(v >= MIN_DST for v in cov.values()) and all(v >= 1 for v in gap_diffs.values())
    check(cov_ok, f"DST coverage: at least {MIN_DST} upkeep openings from nonexistent (gap) and "
                  f"from ambiguous (overlap) civil times in each hemisphere, and gap differences "
                  f"from systemd in each",
          ["DST-affected upkeep openings: " + ", ".join(f"{k} {v}" for k, v in cov.items()),
           "DST-explained differences from systemd-analyze: "
           + ", ".join(f"gap {h} {v}" for h, v in gap_diffs.items()) + ", "
           + ", ".join(f"overlap {h} {v}" for h, v in ovl_diffs.items())
           + " (systemd takes the first occurrence too, mostly)"])
    feat = {k: 0 for k in FEATURES}
    for sp in both:
        for k in features(sp):
            if k in feat:
                feat[k] += 1
    enough = (len(both) >= MIN_SYSTEMD_SPECS and len({r['zone'] for r in results}) == 6
              and all(v >= MIN_FEATURE for v in feat.values()))
    check(enough, f"at least {MIN_SYSTEMD_SPECS} specs compared in 6 zones, each syntax "
                  f"feature in at least {MIN_FEATURE}",
          ["specs using: " + ", ".join(f"{k} {v}" for k, v in feat.items()),
           f"specs {len(both)}, zones {len(ZONES)}, (zone, base time) runs {len(results)}, "
           f"upkeep openings checked {total['upkeep']}, occurrences compared with "
           f"systemd-analyze {total['compared']}, DST-explained differences "
           f"{total['explained']}, DST-affected openings {total['affected']}, "
           f"{time.time() - started:.1f}s"])


def civil_matches(specs, start_civil, iterations):
    """{spec: ([naive civil datetimes], exhausted)} after start_civil."""
    res = systemd_analyze([f"{s} UTC" for s in specs], naive_epoch(start_civil), iterations)
    out = {}
    for s in specs:
        times, _ = res[f"{s} UTC"]
        out[s] = (times, len(times) < iterations)
    return out


def run_job(args):
    return compare_zone_base(*args)


def first_match(specs_bases, tz_env="UTC"):
    """{(spec, base): first systemd instant (naive UTC datetime) or None}."""
    out, groups = {}, {}
    for sp, b in specs_bases:
        groups.setdefault(b, []).append(sp)
    for b, sps in groups.items():
        res = systemd_analyze(sps, b, 1, tz_env=tz_env)
        for sp in sps:
            t = res[sp][0]
            out[(sp, b)] = t[0] if isinstance(t, list) and t else None
    return out


def compare_zone_base(upkeep, specs, zone, hemi, base, near_transition, perturb=None):
    """Checks one (zone, base time) for all specs; returns counts and problems."""
    res = Resolver(zone)
    problems = []
    r = {"zone": zone, "base": base, "problems": problems, "compared": 0, "agree": 0,
         "explained": 0, "affected": 0, "upkeep": 0, "affected_kinds": {},
         "explained_kinds": {}, "gave_up": [], "crosschecked": 0, "sd_skipped": []}
    where = f"{zone}, --from @{base} ({iso(base)})"
    if res.second_occurrence_of(base) is not None:
        raise RuntimeError(f"base {where} is in the second pass of an overlap")
    start = res.civil(base)

    # upkeep
    up = upkeep_next(upkeep, specs, zone, base)
    ups = {}
    for s in specs:
        if isinstance(up[s], tuple):
            problems.append(f"'{s}' {where}: upkeep refused it here: {up[s][1]}")
            continue
        ts = []
        for o in up[s]:
            t = o["epoch"]
            if o["utc"] != iso(t) or o["local"] != local_iso(t, zone):
                problems.append(f"'{s}' {where}: upkeep prints {o} for epoch {t}, "
                                f"expected utc {iso(t)} local {local_iso(t, zone)}")
            ts.append(t)
        ups[s] = ts
    if perturb == "one" and ups:
        s0 = next(s for s in specs if ups.get(s))
        ups[s0][0] += 1
    elif perturb == "gap":
        # as if upkeep read a nonexistent time with the offset before the
        # gap (systemd's mktime() does): half an hour after the transition
        for sp, ts in ups.items():
            ups[sp] = sorted({t + 1800 if res.is_transition_after_gap(t) else t for t in ts})
    elif perturb == "overlap":
        # as if upkeep took the second occurrence of an ambiguous time
        for sp, ts in ups.items():
            out = []
            for t in ts:
                c = res.civil(t)
                t1 = int(c.replace(tzinfo=res.tz, fold=1).timestamp())
                out.append(t1 if res.resolve(c)[0] == "overlap" else t)
            ups[sp] = sorted(set(out))

    # The civil times each spec matches (systemd in UTC) and upkeep's rules
    # for them: expected[s] is the sorted list of distinct instants after
    # the base, sources[s][instant] the kinds of civil times behind it, and
    # horizon[s] the last instant the civil matches cover (inf: all of them).
    expected = {s: [] for s in ups}
    sources = {s: {} for s in ups}
    horizon = {s: float("inf") for s in ups}
    pending = {s: start for s in ups}
    for _round in range(6):
        if not pending:
            break
        groups = {}
        for s, c in pending.items():
            groups.setdefault(c, []).append(s)
        pending = {}
        for c0, ss in groups.items():
            cm = civil_matches(ss, c0, 2 * N + 10)
            for s in ss:
                times, exhausted = cm[s]
                exp, src = expected[s], sources[s]
                for c in times:
                    kind, t = res.resolve(c)
                    if t <= base:
                        continue
                    if not exp or exp[-1] != t:
                        exp.append(t)
                    src.setdefault(t, set()).add(kind)
                horizon[s] = float("inf") if exhausted else (res.resolve(times[-1])[1] if times else horizon[s])
                if len(exp) <= N and not exhausted and times:
                    last = times[-1]
                    kind, t = res.resolve(last)
                    # In a gap every later civil time up to the gap's end
                    # lands on the same instant: go on from the gap's end.
                    pending[s] = res.civil(t) - timedelta(seconds=1) if kind == "gap" else last

    # upkeep against its rules applied to the civil matches, as sets up to
    # the last instant both cover.  An upkeep instant the civil iteration
    # missed counts if systemd confirms it when asked from just before it:
    # systemd 252 skips some matches when a repetition ("03/17") runs past
    # the end of a day into a new month (tm_within_bounds() resets the day,
    # not the hour); see confirm() below.
    def civil_floor(t):
        # the earliest civil time that resolves to t (a gap's start for a
        # transition instant)
        return res.civil(t - 1) + timedelta(seconds=1) if res.is_transition_after_gap(t) else res.civil(t)

    asks = []
    for s, u in ups.items():
        lim = min(horizon[s], u[-1] if len(u) == N else float("inf"))
        extra = sorted({t for t in u if t <= lim} - set(expected[s]))
        asks += [(f"{s} UTC", naive_epoch(civil_floor(t)) - 1) for t in extra]
    confirmed_civil = first_match(asks) if asks else {}

    for s, u in ups.items():
        r["upkeep"] += len(u)
        lim = min(horizon[s], u[-1] if len(u) == N else float("inf"))
        U = {t for t in u if t <= lim}
        E = {t for t in expected[s] if t <= lim}
        bad = []
        for t in sorted(U - E):
            m = confirmed_civil.get((f"{s} UTC", naive_epoch(civil_floor(t)) - 1))
            if m is not None and res.resolve(m)[1] == t:
                kind = res.resolve(m)[0]
                sources[s].setdefault(t, set()).add(kind)
                r["sd_skipped"].append(f"'{s}' {iso(t)} (civil, UTC)")
            else:
                bad.append(f"upkeep has {fmt_list([t], zone)}, not a match of the spec by "
                           f"systemd-analyze (asked from just before it: "
                           f"{m.isoformat() if m else 'nothing'})")
        for t in sorted(E - U):
            kinds = "/".join(sorted(sources[s].get(t, ())))
            bad.append(f"upkeep misses {fmt_list([t], zone)} ({kinds} civil time)")
        if bad:
            problems.append(
                f"'{s}' {where}: upkeep's openings break its DST rules / civil matches: "
                f"{'; '.join(bad[:3])}\n"
                + fmt_pair(["upkeep", "expected"],
                           [u, [t for t in expected[s] if t <= lim][:N]], zone))
            continue
        for t in u:
            for kind in sources[s].get(t, ()):
                if kind != "normal":
                    r["affected"] += 1
                    r["affected_kinds"][kind] = r["affected_kinds"].get(kind, 0) + 1

    # systemd in the zone.  With TZ=ZONE and the spec as it is, not as
    # 'SPEC ZONE' under TZ=UTC: for a spec with a zone systemd 252 forks a
    # process per iteration (calendar_spec_next_usec), which is ~40 times
    # slower, to run the same code with TZ set to the zone.  The two forms
    # are checked to agree on the DST probes from the base times next to
    # transitions.
    sdz = systemd_analyze(list(ups), base, N, tz_env=zone)
    if hemi is not None and base in near_transition:
        cross = [s for s in ups if s in DST_PROBES]
        sfx = systemd_analyze([f"{s} {zone}" for s in cross], base, N, tz_env="UTC")
        for s in cross:
            if sfx[f"{s} {zone}"][0] != sdz[s][0]:
                problems.append(f"'{s}' {where}: systemd-analyze 'SPEC {zone}' (TZ=UTC) says "
                                f"{sfx[f'{s} {zone}'][0]}, with TZ={zone} it says {sdz[s][0]}")
        r["crosschecked"] = len(cross)

    # upkeep against systemd in the zone, as sets over the range both cover.
    # Every difference must be DST-affected: an upkeep instant that stands
    # for a nonexistent civil time (systemd skips those) or for the first
    # occurrence of an ambiguous one, or a systemd instant that is the second
    # occurrence of an ambiguous civil time whose first occurrence upkeep
    # has.  Or systemd skipped a normal match in its iteration (it does near
    # transitions and month ends) and confirms it when asked from just before.
    pairs = []
    for s, u in ups.items():
        if sdz[s][0] == "gave up":
            r["gave_up"].append(s)
            continue
        if sdz[s][0] == "error":
            problems.append(f"'{s}' {where}: systemd-analyze refuses it here: {sdz[s][1]}")
            continue
        sset = [naive_epoch(c) for c in sdz[s][0]]
        lim = min(u[-1] if len(u) == N else float("inf"),
                  sset[-1] if len(sset) == N else float("inf"))
        pairs.append((s, u, sset, {t for t in u if t <= lim}, {t for t in sset if t <= lim}))
    asks = []
    for s, u, sset, U, S in pairs:
        for t in U - S:
            kinds = sources[s].get(t, set())
            if (not ("gap" in kinds or "overlap" in kinds or res.is_transition_after_gap(t))
                    and res.resolve(res.civil(t)) == ("normal", t)):
                asks.append((s, t - 1))
    confirmed_zone = first_match(asks, tz_env=zone) if asks else {}
    for s, u, sset, U, S in pairs:
        r["compared"] += len(U | S)
        r["agree"] += len(U & S)
        bad = []
        for t in sorted(U - S):
            kinds = sources[s].get(t, set())
            if "gap" in kinds and res.is_transition_after_gap(t):
                why = "gap"         # systemd skips a nonexistent time
            elif res.is_transition_after_gap(t):
                # An existing civil time right at the end of a gap (01:00
                # after 00:00-01:00): systemd skips it when its search
                # passes through the gap, though it matches.
                why = "gap-end"
            elif "overlap" in kinds:
                why = "overlap-first"
            elif (res.resolve(res.civil(t)) == ("normal", t)
                  and (m := confirmed_zone.get((s, t - 1))) is not None and naive_epoch(m) == t):
                r["sd_skipped"].append(f"'{s}' {iso(t)} (in {zone})")
                continue
            else:
                bad.append(f"upkeep-only {iso(t)}")
                continue
            r["explained"] += 1
            r["explained_kinds"][why] = r["explained_kinds"].get(why, 0) + 1
        for t in sorted(S - U):
            first = res.second_occurrence_of(t)
            if first is not None and (first in U or first <= base):
                why = "overlap-second"
            else:
                bad.append(f"systemd-only {iso(t)}")
                continue
            r["explained"] += 1
            r["explained_kinds"][why] = r["explained_kinds"].get(why, 0) + 1
        if bad:
            problems.append(
                f"'{s}' {where}: differences not explained by DST: {', '.join(bad[:4])}\n"
                + fmt_pair(["upkeep", "systemd"], [u, sset], zone))
    return r


def first_diff(a, b):
    return next((k for k in range(max(len(a), len(b)))
                 if k >= len(a) or k >= len(b) or a[k] != b[k]), 0)


def fmt_pair(names, lists, zone):
    """Two lists of instants, from a little before their first difference."""
    k = first_diff(*lists)
    lo = max(0, k - 2)
    w = max(len(n) for n in names)
    return "\n".join(f"    {n + ':':<{w + 1}} " + ("... " if lo else "")
                     + fmt_list(ts[lo:k + 6], zone) + (" ..." if len(ts) > k + 6 else "")
                     for n, ts in zip(names, lists))


def fmt_list(ts, zone):
    tz = ZoneInfo(zone)
    return " ".join(datetime.fromtimestamp(t, tz).strftime("%Y-%m-%dT%H:%M:%S%z") for t in ts)


# ---------------------------------------------------------------- cron

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DOWS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def cname(r, names, v, base):
    n = names[v - base]
    return r.choices([n, n.upper(), n.capitalize()], [4, 2, 1])[0]


def gen_cron_field(r, lo, hi, names=None, base=0, star=3.0, hot=()):
    def val(v):
        if names and r.random() < 0.4 and base <= v < base + len(names):
            return cname(r, names, v, base)
        return str(v)
    kind = r.choices(["star", "one", "list", "range", "rangestep", "starstep", "rep"],
                     [star, 4, 3, 2, 1.5, 1.5, 1])[0]
    if kind == "star":
        return "*"
    if kind == "one":
        return val(pick(r, lo, hi, hot))
    if kind == "list":
        vals = sorted({pick(r, lo, hi, hot) for _ in range(r.randint(2, 4))})
        return ",".join(val(v) for v in vals)
    if kind == "starstep":
        return f"*/{r.randint(2, max(2, (hi - lo + 1) // 2))}"
    a = r.randint(lo, hi - 1)
    b = r.randint(a + 1, hi)
    if kind == "range":
        return f"{val(a)}-{val(b)}"
    if kind == "rangestep":
        return f"{a}-{b}/{r.randint(1, max(1, b - a))}"
    return f"{a}/{r.randint(1, max(1, hi - a))}"


def gen_cron(n, seed):
    r = random.Random(seed)
    out, seen = [], set()
    while len(out) < n:
        minute = gen_cron_field(r, 0, 59, star=1, hot=[0, 15, 30, 45])
        hour = gen_cron_field(r, 0, 23, star=2)
        dom = gen_cron_field(r, 1, 31, star=5, hot=[1, 15, 28, 29, 30, 31])
        month = gen_cron_field(r, 1, 12, names=MONTHS, base=1, star=6)
        dow = gen_cron_field(r, 0, 7, names=DOWS, base=0, star=5)
        e = f"{minute} {hour} {dom} {month} {dow}"
        if e not in seen:
            seen.add(e)
            out.append(e)
    return out


CRON_PROBES = [
    "0 2 * * 0", "30 4 * * mon-fri", "*/15 * * * *", "5/20 * * * *", "0 0 1 * *",
    "0 0 * * 7", "0 0 * * 5-7", "0 0 * * 1/2", "0 0 * * */2", "0 0 * * */3",
    "0 0 */2 * 1", "0 0 1,15 * 5", "0 0 13 * fri", "0 0 29 2 *", "0 0 29 2 1",
    "59 23 31 12 *", "0 12 * jan,jul *", "0 0 31 * *",
    "0 0 1 1/12 *", "0 0 */40 * *", "* * * * *", "0 * * * *", "0 0 * * *",
    "0 0 1-7 * mon", "0 0 8-14 * MON", "0 22 * * 1-5", "0 9-17/2 * * mon-fri",
    "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight",
    # day fields that cover every value without being "*" (DOCUMENTED_CRON_CORNER)
    "0 0 1-31 * 1", "0 0 */1 * 1", "0 0 15 * 0-6", "0 0 15 * 0-7", "0 0 15 * sun-sat",
    # refused by both
    "0 0 * * mon-sun", "0 0 30 2 *", "0 0 31 4 *", "60 * * * *", "* 24 * * *",
]

# cron-parser has no @midnight; crontab(5) says it is @daily.
CRON_PARSER_ALIAS = {"@midnight": "@daily"}


def for_cron_parser(expr):
    """The expression as cron-parser must be given it: cron-parser refuses a
    day-of-week list naming Sunday twice ("0,7", "sun,7": "duplicate values
    found"), which cron(5) and upkeep accept; the 7 goes."""
    expr = CRON_PARSER_ALIAS.get(expr, expr)
    f = expr.split()
    if len(f) == 5:
        items = f[4].split(",")
        if "7" in items and any(i.lower() in ("0", "sun") for i in items):
            f[4] = ",".join(i for i in items if i != "7")
            expr = " ".join(f)
    return expr


def cron_field_values(text, lo, hi, names=None, base=0):
    """The value set of one cron field (for DOCUMENTED_CRON_CORNER only)."""
    def v(x):
        if names and x.lower() in names:
            return names.index(x.lower()) + base
        return int(x)
    vals = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, st = part.split("/")
            step = int(st)
        if part == "*":
            a, b = lo, hi
        elif "-" in part:
            a, b = (v(x) for x in part.split("-"))
        else:
            a = v(part)
            b = hi if step > 1 or "/" in text else a
        vals.update(range(a, b + 1, step))
    return vals


def cron_features(expr):
    f = expr.split()
    if len(f) != 5:
        return {"macro"}
    out = set()
    for i, name in enumerate(("minute", "hour", "dom", "month", "dow")):
        t = f[i]
        if "," in t:
            out.add("list")
        if re.search(r"\d-\d|[a-z]-[a-z]", t, re.I):
            out.add("range")
        if t.startswith("*/"):
            out.add("*/n")
        elif re.search(r"^\d+/", t) or re.search(r",\d+/", t):
            out.add("a/n")
        elif "/" in t:
            out.add("a-b/n")
        if re.search(r"[a-z]", t, re.I):
            out.add("names")
    if f[2] != "*" and f[4] != "*":
        out.add("dom and dow restricted")
    if re.search(r"(^|[,-])7($|[,/-])", f[4]):
        out.add("dow 7")
    return out


CRON_FEATURES = ["list", "range", "*/n", "a/n", "a-b/n", "names", "dom and dow restricted",
                 "dow 7", "macro"]


def cron_main(upkeep):
    started = time.time()
    perturb = os.environ.get("UPKEEP_ORACLE_PERTURB") == "cron"
    generated = gen_cron(N_CRON, SEED_CRON)
    exprs = list(dict.fromkeys(CRON_PROBES + generated))
    bases = [utc_epoch(2026, 11, 22), utc_epoch(2027, 2, 27, 12), utc_epoch(2028, 2, 27, 23, 59, 30),
             utc_epoch(2027, 12, 31, 23, 58)]
    node = shutil.which("node") or die("node is missing")
    theirs_expr = {}
    corner = []
    for e in exprs:
        t = for_cron_parser(e)
        theirs_expr[e] = t
    payload = json.dumps({"exprs": sorted(set(theirs_expr.values())), "bases": bases, "n": N})
    rc, so, se = run([node, os.path.join(HERE, "cron_next.js")], stdin=payload)
    if rc != 0:
        die(f"cron_next.js failed ({rc}): {se.strip()[:500]}")
    cp = json.loads(so)
    lock = json.load(open(os.path.join(HERE, "package-lock.json")))
    want = lock["packages"]["node_modules/cron-parser"]["version"]
    if cp["version"] != want:
        check(False, "cron: tests/oracle/node_modules has the cron-parser of package-lock.json",
              [f"installed {cp['version']}, package-lock.json says {want}: "
               f"run 'npm ci --prefix tests/oracle'"])

    ups = pmap(lambda b: upkeep_next(upkeep, exprs, "UTC", b), bases)
    if perturb:
        e0 = next(e for e in exprs if not isinstance(ups[0][e], tuple) and ups[0][e])
        ups[0][e0][0]["epoch"] += 1

    accepted, findings, problems, refused_both = [], [], [], 0
    occurrences = 0
    for e in exprs:
        theirs = cp["results"][theirs_expr[e]]
        up_err = ups[0][e][1] if isinstance(ups[0][e], tuple) else None
        cp_err = theirs.get("error")
        if up_err or cp_err:
            if up_err and cp_err:
                refused_both += 1
            else:
                findings.append(f"'{e}': upkeep {'refuses: ' + up_err if up_err else 'accepts it'}; "
                                f"cron-parser {'refuses: ' + cp_err if cp_err else 'accepts it'}")
            continue
        accepted.append(e)
        for i, b in enumerate(bases):
            u = [o["epoch"] for o in ups[i][e]]
            c = theirs["next"][str(b)]
            occurrences += len(u)
            if u != c:
                k = first_diff(u, c)
                problems.append(f"'{e}' from {iso(b)}: #{k + 1} differs\n"
                                + fmt_pair(["upkeep", "cron-parser"], [u, c], "UTC")
                                + (f"\n    (cron-parser given '{theirs_expr[e]}')" if theirs_expr[e] != e else ""))
    ver = cp["version"]
    diags = [f"cron-parser {ver}: {len(exprs)} expressions ({len(CRON_PROBES)} probes, "
             f"{len(generated)} generated, seed {SEED_CRON}), {len(accepted)} accepted by both, "
             f"{refused_both} refused by both, {sum(1 for e in exprs if for_cron_parser(e) != e)} "
             f"given to cron-parser rewritten (@midnight, Sunday as 0 and 7); {len(bases)} base times, {occurrences} "
             f"occurrences compared; {len(corner)} in the documented day-field corner "
             f"(compared with that field as '*'): {', '.join(repr(x) for x in corner[:4])}; "
             f"{time.time() - started:.1f}s"]
    if findings:
        diags.append("accepted by one side only:")
        diags += ["  " + f for f in findings]
    if problems:
        diags.append(f"{len(problems)} expression/base pairs differ; the first ones:")
        diags += problems[:6]
    feat = {k: 0 for k in CRON_FEATURES}
    for e in accepted:
        for k in cron_features(e):
            feat[k] += 1
    diags.insert(1, "expressions using: " + ", ".join(f"{k} {v}" for k, v in feat.items()))
    check(not findings and not problems and len(accepted) >= MIN_CRON_EXPRS
          and all(v >= 5 for v in feat.values()),
          f"cron: at least {MIN_CRON_EXPRS} expressions agree with cron-parser (next {N} in "
          f"UTC), each syntax feature in at least 5",
          diags)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["systemd", "cron", "list"])
    ap.add_argument("--upkeep", required=False)
    a = ap.parse_args()
    if a.what == "list":
        print("\n".join(list(dict.fromkeys(SYSTEMD_PROBES + gen_systemd(N_SYSTEMD, SEED_SYSTEMD)))))
        print("\n".join(list(dict.fromkeys(CRON_PROBES + gen_cron(N_CRON, SEED_CRON)))))
        return
    if not a.upkeep or not os.access(a.upkeep, os.X_OK):
        die(f"no upkeep binary at {a.upkeep}")
    try:
        if a.what == "systemd":
            systemd_main(a.upkeep)
        else:
            cron_main(a.upkeep)
    except (RuntimeError, ValueError, KeyError, json.JSONDecodeError) as e:
        die(f"{type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
