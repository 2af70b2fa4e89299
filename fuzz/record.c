/*
 * Fuzz target: everything that reads a run record, which is a file on
 * disk any process of the host's admin group may have written or a
 * crash may have torn: the run report (report_markdown, and its terminal
 * layout, mdterm_render), the weekly model and every writer of it
 * (weekly_build, weekly_writers: Markdown, HTML, JSON, terminal), the
 * one-line why and the numbers (runstats_why, runstats_numbers), the ISO
 * week of its start (isoweek_of, isoweek_parse), webhook bodies
 * (notify_body, both formats), the Prometheus textfile (metrics_text),
 * redaction (record_redact), and the journal reader (record_journal_list):
 * the input as an earlier version's journal half, as a journal file of
 * its own bytes (the entries' headers: length and hash), and as the
 * journal a run writes, whole and torn (journal_feed()). The input is one
 * record (a JSON object) or several (an array of them, as record_list()
 * gives).
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mdterm.h"
#include "metrics.h"
#include "notify.h"
#include "record.h"
#include "report.h"
#include "runrec.h"
#include "runstats.h"
#include "util/diag.h"
#include "util/isoweek.h"
#include "weekly.h"

static struct config cfg;
static char *journal, *appended;

static void put(const char *path, const char *text)
{
	fuzz_write(path, text, strlen(text));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *root = fuzz_tmpdir("record");
	struct diags d = { 0 };
	char path[4096];

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/schedules", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/jobs", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/schedules/sunday.yaml", root);
	put(path, "window: sunday\nstart: \"Sun *-*-* 02:00\"\n"
	    "duration: 2h\n");
	snprintf(path, sizeof(path), "%s/jobs/weekly.yaml", root);
	put(path, "job: weekly\nwindows: [sunday]\nsteps:\n"
	    "  - { name: a, kind: command, run: [\"true\"] }\n");
	snprintf(path, sizeof(path), "%s/upkeep.yaml", root);
	put(path, "state_dir: state\nreports_dir: reports\n");
	if (config_load(root, &cfg, &d) < 0) {
		diags_print(&d, stderr);
		abort();
	}
	diags_free(&d);
	snprintf(path, sizeof(path), "%s/journal", cfg.settings.state_dir);
	mkdir(cfg.settings.state_dir, 0700);
	mkdir(path, 0700);
	if (asprintf(&journal, "%s/20261129T020000Z-weekly-3f9a.0.json",
		     path) < 0 ||
	    asprintf(&appended, "%s/20261129T020000Z-weekly-3f9b.journal",
		     path) < 0)
		abort();
	return 0;
}

/* Writes len bytes of data as the run's journal file and reads it back. */
static void journal_read(const void *data, size_t len)
{
	fuzz_write(appended, data, len);
	json_decref(record_journal_list(&cfg));
	unlink(appended);
}

/*
 * The input as the journal file a run appends to. As it is: what a
 * corrupted file holds, for the entries' headers. Then as entries whose
 * checks pass, so the fuzzer reaches what they hold (what is set, the
 * arrays' items from an index on, what is deleted): each NUL-separated
 * piece is one entry's JSON, and a piece that is a record and no entry
 * (a seed of the corpus) is the first entry's "set", the way a run's
 * journal begins. Last, those entries with the last one torn where a
 * crash would cut it.
 */
static void journal_feed(const uint8_t *data, size_t size)
{
	char *file = NULL, *e;
	size_t len = 0, cap = 0, elen = 0, n;
	const uint8_t *p = data, *end = data + size, *nul;

	journal_read(data, size);
	while (p <= end) {
		json_t *v = NULL, *set;
		char *body;

		nul = memchr(p, '\0', (size_t)(end - p));
		n = nul ? (size_t)(nul - p) : (size_t)(end - p);
		if (p == data)
			v = json_loadb((const char *)p, n, 0, NULL);
		if (json_is_object(v) && !json_object_get(v, "set") &&
		    !json_object_get(v, "items") && !json_object_get(v, "del")) {
			set = json_pack("{s:O}", "set", v);
			body = json_dumps(set, JSON_COMPACT);
			json_decref(set);
			e = record_journal_entry(body, strlen(body), &elen);
			free(body);
		} else {
			e = record_journal_entry((const char *)p, n, &elen);
		}
		json_decref(v);
		if (len + elen > cap) {
			cap = (len + elen) * 2;
			file = realloc(file, cap);
			if (!file)
				abort();
		}
		memcpy(file + len, e, elen);
		len += elen;
		free(e);
		if (!nul)
			break;
		p = nul + 1;
	}
	journal_read(file, len);
	/* Torn: cut inside the last entry, at a point the input picks. */
	journal_read(file, len - 1 - (size ? data[size - 1] % elen : 0));
	free(file);
}

/* One record through every renderer that takes one. */
static void one(const json_t *rec)
{
	struct runstats n;
	char *md = report_markdown(rec), *s;
	json_t *r;

	s = mdterm_render(md, 80, true);
	free(s);
	s = mdterm_render(md, 12, false);
	free(s);
	free(md);
	runstats_numbers(rec, &n);
	free(runstats_why(rec));
	for (unsigned ev = 1; ev <= CONFIG_NOTIFY_MISSED; ev <<= 1) {
		free(notify_body(&cfg, rec, ev, CONFIG_NOTIFY_SLACK));
		free(notify_body(&cfg, rec, ev, CONFIG_NOTIFY_JSON));
	}
	r = record_redact(&cfg, rec);
	json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in, *records, *v, *model, *j;
	time_t monday = 1795392000, now = 1795996800; /* 2026-11-23, +1 week */
	const struct weekly_opts opts = { 40, true };
	char week[16];
	size_t i;

	if (size > 1 << 20)
		return -1;
	/* The journal reader gets the bytes as an earlier version's half,
	 * then as the journal of today's runs. */
	fuzz_write(journal, data, size);
	j = record_journal_list(&cfg);
	json_decref(j);
	unlink(journal);
	journal_feed(data, size);

	in = json_loadb((const char *)data, size, 0, NULL);
	if (!in)
		return 0;
	records = json_array();
	if (json_is_object(in))
		json_array_append(records, in);
	json_array_foreach(in, i, v)
		if (json_is_object(v) && i < 16)
			json_array_append(records, v);
	json_array_foreach(records, i, v)
		one(v);
	/* The week of the first record's start, as report --week finds it. */
	v = json_array_get(records, 0);
	if (v && runrec_time(v, RUNREC_STARTED, &now)) {
		isoweek_of(now, week, sizeof(week));
		/* It named the week itself, and bounds it alike. */
		if (isoweek_parse(week, &monday) < 0 ||
		    monday != isoweek_monday(now))
			abort();
	}
	model = weekly_build(&cfg, records, monday, now);
	for (const struct weekly_writer *w = weekly_writers; w->name; w++)
		free(weekly_render(model, w->name, &opts));
	json_decref(model);
	free(metrics_text(&cfg, records, now));
	json_decref(records);
	json_decref(in);
	return 0;
}
