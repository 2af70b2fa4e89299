#!/usr/bin/env python3
# fake_records.py TEMPLATE RUNS_DIR N: N run records made from one record
# the real engine wrote (TEMPLATE, removed with its .md), for the history
# and report benchmarks: ten jobs, every night, going back N/10 nights
# from 2026-11-29, each with a docker-prune step in the documented shape.
import copy, datetime, json, os, random, sys
template, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = json.load(open(template))
os.remove(template); os.remove(template[:-5] + ".md")
random.seed(1)
end = datetime.datetime(2026, 11, 29, 2, 0)
for i in range(n):
    job = "job%02d" % (i % 10)
    t = end - datetime.timedelta(days=i // 10, minutes=i % 10)
    r = copy.deepcopy(base)
    stamp = t.strftime("%Y%m%dT%H%M%SZ")
    r["run_id"] = "%s-%s-%04x" % (stamp, job, i)
    r["job"] = job
    r["started"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    r["finished"] = (t + datetime.timedelta(seconds=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r["status"] = random.choice(["succeeded"] * 8 + ["failed", "skipped-precheck"])
    r["window"]["start"] = t.replace(minute=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    r["steps"].append({"name": "docker cleanup", "kind": "docker-prune", "status": "ok",
                       "duration_ms": random.randint(1000, 60000), "timeout_ms": 1800000,
                       "details": {"bytes": random.randint(0, 1 << 32),
                                   "categories": {c: {"count": 3, "bytes": random.randint(0, 1 << 30)}
                                                  for c in ("containers", "images", "networks")}}})
    d = os.path.join(out, t.strftime("%Y"))
    os.makedirs(d, exist_ok=True)
    json.dump(r, open(os.path.join(d, r["run_id"] + ".json"), "w"), indent=2, sort_keys=True)
