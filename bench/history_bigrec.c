/*
 * What a run's bookkeeping costs with a big record (a vacuum of 500
 * tables makes one of ~300 KB), for bench/history-cost.sh: the record
 * RECORD (a whole run record) saved N times under the config at ROOT as
 * runs a minute apart, each followed by what `upkeep run` does after its
 * last step (record, run report, history index, the week's model and
 * reports, metrics), each part timed in CPU time (this process's): the
 * medians are printed in milliseconds.
 *
 *   history_bigrec ROOT RECORD N
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "history.h"
#include "metrics.h"
#include "record.h"
#include "report.h"
#include "util/diag.h"
#include "util/error.h"
#include "util/timefmt.h"
#include "weekly.h"

enum { SAVE, REPORT, INDEX, WEEK, METRICS, PARTS };
static const char *const part_names[PARTS] = {
	"record_save", "report_save", "history_add", "weekly_add",
	"metrics_write",
};

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct config cfg = { 0 };
	struct diags d = { 0 };
	json_t *rec;
	double *ms[PARTS];
	int n;

	if (argc != 4 || (n = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: history_bigrec ROOT RECORD N\n");
		return 2;
	}
	if (config_load(argv[1], &cfg, &d) < 0) {
		fprintf(stderr, "history_bigrec: the config at %s does not "
			"load\n", argv[1]);
		return 1;
	}
	rec = json_load_file(argv[2], 0, NULL);
	if (!json_is_object(rec)) {
		fprintf(stderr, "history_bigrec: %s is not a record\n", argv[2]);
		return 1;
	}
	for (int p = 0; p < PARTS; p++)
		ms[p] = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		time_t t = (time_t)1796007600 + (time_t)i * 60; /* 2026-11-30 03:00 */
		char id[64], when[32];
		struct tm tm;
		double t0;

		gmtime_r(&t, &tm);
		strftime(id, sizeof(id), "%Y%m%dT%H%M%SZ-web-b16", &tm);
		timefmt_rfc3339(t, when, sizeof(when));
		json_object_set_new(rec, "run_id", json_string(id));
		json_object_set_new(rec, "started", json_string(when));
		json_object_set_new(rec, "finished", json_string(when));
		history_before_save(&cfg, rec);
		t0 = cpu_ms();
		if (record_save(&cfg, rec) < 0)
			goto fail;
		ms[SAVE][i] = cpu_ms() - t0;
		t0 = cpu_ms();
		if (report_save(&cfg, rec) < 0)
			goto fail;
		ms[REPORT][i] = cpu_ms() - t0;
		t0 = cpu_ms();
		history_add(&cfg, rec);
		ms[INDEX][i] = cpu_ms() - t0;
		t0 = cpu_ms();
		if (weekly_add(&cfg, rec, t) < 0)
			goto fail;
		ms[WEEK][i] = cpu_ms() - t0;
		t0 = cpu_ms();
		if (metrics_write(&cfg) < 0)
			goto fail;
		ms[METRICS][i] = cpu_ms() - t0;
	}
	for (int p = 0; p < PARTS; p++) {
		qsort(ms[p], (size_t)n, sizeof(double), by_value);
		printf("%-14s %7.2f ms (min %.2f, max %.2f)\n", part_names[p],
		       ms[p][n / 2], ms[p][0], ms[p][n - 1]);
		free(ms[p]);
	}
	json_decref(rec);
	config_free(&cfg);
	return 0;
fail:
	fprintf(stderr, "history_bigrec: %s\n", error_last());
	return 1;
}
