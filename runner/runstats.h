/*
 * The numbers of one run, read from its record and its steps' details:
 * what the weekly report totals, the webhooks' JSON body carries and the
 * Prometheus textfile exports (bytes reclaimed, dead tuples removed,
 * security updates, findings, ...), the run's findings each subject once,
 * and why it did not simply succeed, in one line. The key names read from
 * details are listed in docs/reports.md. Not for rendering (report.c,
 * weekly.c) nor for the record's own fields (runrec.h).
 */
#ifndef UPKEEP_RUNSTATS_H
#define UPKEEP_RUNSTATS_H

#include <jansson.h>
#include <stdint.h>

/* The numbers of one run that the report, the metrics and notify share. */
struct runstats {
	int64_t reclaimed_bytes;	/* summed over its steps */
	int64_t dead_tuples_removed;
	int64_t tables_vacuumed;
	int64_t security_updates;	/* pending, from patch checks */
	int64_t findings;		/* patch-check findings */
	int unverified_snapshots;	/* snapshot steps not verified */
	int reboot_required;
};
void runstats_numbers(const json_t *rec, struct runstats *out);

/*
 * The findings of a run's steps (details.findings: severity, source,
 * text), each subject once: when two sources report the same package
 * (apt and the PostgreSQL probe both see postgresql-15), the one that says
 * it at least as severely stays and its source names both. Each is
 * {step, severity, source, text, subjects}. New reference.
 */
json_t *runstats_findings(const json_t *rec);
/* The same for an array of steps (`only`: just that one of them). */
json_t *runstats_findings_of(const json_t *steps, const json_t *only);
/* 3 security, 2 update, 1 info, 0 anything else. */
int runstats_severity_rank(const char *severity);

/*
 * Why a run did not simply succeed, in one line: the failed step, check or
 * validation, the window missed, the step upkeep died in, the rollback's
 * commits. New string, or NULL when there is nothing to say.
 */
char *runstats_why(const json_t *rec);

/* Bytes step s (details d) reclaimed; dead tuples it removed. */
int64_t runstats_reclaimed(const json_t *s, const json_t *d);
int64_t runstats_dead_removed(const json_t *s, const json_t *d);
/* A count in details that may be written as a number or as the list of
 * the things. */
int64_t runstats_count(const json_t *details, const char *key);
/* a + b, held at the int64 bounds. */
int64_t runstats_add(int64_t a, int64_t b);

#endif
