#!/usr/bin/env node
// The next N matches of cron expressions, in UTC, by cron-parser: the
// reference for tests/oracle/calendar_oracle.py cron.
//
// stdin:  {"exprs": [...], "bases": [epoch seconds...], "n": 20}
// stdout: {"version": "5.x.y", "results": {EXPR: {"next": {BASE: [epochs]}}
//                                               | {"error": "message"}}}
'use strict';
const path = require('path');
const fs = require('fs');
const { CronExpressionParser } = require('cron-parser');

const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const pkg = JSON.parse(fs.readFileSync(
  path.join(path.dirname(require.resolve('cron-parser')), '..', 'package.json'), 'utf8'));
const results = {};
for (const expr of input.exprs) {
  try {
    const next = {};
    for (const base of input.bases) {
      const it = CronExpressionParser.parse(expr, {
        currentDate: new Date(base * 1000),
        tz: 'UTC',
      });
      const out = [];
      for (let i = 0; i < input.n; i++) {
        let d;
        try {
          d = it.next();
        } catch (e) {
          break;    // no more matches
        }
        out.push(Math.round(d.getTime() / 1000));
      }
      next[base] = out;
    }
    results[expr] = { next };
  } catch (e) {
    results[expr] = { error: String(e && e.message ? e.message : e) };
  }
}
process.stdout.write(JSON.stringify({ version: pkg.version, results }));
