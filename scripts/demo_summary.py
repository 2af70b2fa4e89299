#!/usr/bin/env python3
"""scripts/demo_summary.py - the short summary `make demo` ends with: each
run of `upkeep history --json` (read from stdin) with its steps, validation,
last-stable promotion and rollback, one line each."""
import json
import sys


def short(text, n=70):
    return text if len(text) <= n else text[: n - 1] + "…"


def passed(checks):
    return f"{sum(c['passed'] for c in checks)}/{len(checks)} checks passed"


for r in json.load(sys.stdin):
    print(f"{r['run_id']}  {r['status']}")
    for s in r.get("steps", []):
        print(f"  {s['name']:<18} {s['status']:<9} {short(s.get('summary', ''))}")
    print(f"  {'validation':<18} {passed(r.get('validation', []))}")
    promoted = r.get("tracked_config", {}).get("promoted")
    if promoted:
        print(f"  {'last-stable':<18} {(promoted['from'] or 'none')[:7]} → {promoted['to'][:7]}")
    rb = r.get("rollback")
    if rb:
        commit = (rb.get("commit") or "none")[:7]
        print(f"  {'rollback':<18} {rb['reason']}: {len(rb.get('files', []))} file(s) "
              f"restored, commit {commit}; then {passed(rb.get('validation', []))}")
