/*
 * What a run's bookkeeping costs with a big record (a vacuum of 500
 * tables makes one of ~300 KB), for bench/history-cost.sh: the record
 * RECORD (a whole run record) saved N times under the config at ROOT as
 * runs a minute apart, each followed by what `upkeep run` does after its
 * last step (record, run report, history index, the week's model and
 * reports, metrics), each part timed in CPU time (this process's): the
 * medians are printed in milliseconds, then the size of the week's
 * collected model after the N runs.
 *
 * A record read from its file has every object's keys in order; one that
 * a run builds has not (each kind writes them in its own order), and the
 * week's model must then put them in order (as the file has them) before
 * it reads the record. So that this costs here what it costs in a run,
 * the keys are put in reverse order first.
 *
 *   history_bigrec ROOT RECORD N
 */
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
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

/* v with every object's keys in reverse order (new reference). */
static json_t *keys_reversed(json_t *v)
{
	json_t *out, *child;
	const char *key, **keys;
	size_t n = 0, i;

	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, child)
			json_array_append_new(out, keys_reversed(child));
		return out;
	}
	if (!json_is_object(v))
		return json_incref(v);
	keys = malloc((json_object_size(v) + 1) * sizeof(*keys));
	json_object_foreach(v, key, child)
		keys[n++] = key;
	out = json_object();
	while (n--)
		json_object_set_new(out, keys[n], keys_reversed(
			json_object_get(v, keys[n])));
	free(keys);
	return out;
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
	json_t *rec, *file;
	double *ms[PARTS];
	struct stat st;
	char week[16], *model;
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
	file = json_load_file(argv[2], 0, NULL);
	if (!json_is_object(file)) {
		fprintf(stderr, "history_bigrec: %s is not a record\n", argv[2]);
		return 1;
	}
	rec = keys_reversed(file);
	json_decref(file);
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
	strftime(week, sizeof(week), "%G-W%V", gmtime(&(time_t){
		(time_t)1796007600 + (time_t)(n - 1) * 60 }));
	model = weekly_path(&cfg, week, "model.json");
	if (stat(model, &st) == 0)
		printf("%-14s %7lld bytes (%s after %d runs)\n", "model",
		       (long long)st.st_size, week, n);
	free(model);
	json_decref(rec);
	config_free(&cfg);
	return 0;
fail:
	fprintf(stderr, "history_bigrec: %s\n", error_last());
	return 1;
}
