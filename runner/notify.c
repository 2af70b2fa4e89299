/*
 * Webhooks; see notify.h. Bodies are built from the record after
 * redaction (the URL itself is one of the config's secrets), so neither a
 * ${VAR} value nor a webhook token can travel in a body, a log line or a
 * report. Webhooks of one event are tried one after another, each given
 * an equal share of what is left of the budget, so one that hangs cannot
 * starve the others of more than its share.
 */
#include "notify.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "net.h"
#include "record.h"
#include "runrec.h"
#include "report.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"
#include "runstats.h"
#include "util/isoweek.h"
#include "weekly.h"

/* The first retry waits this long; each one after twice the last. */
#define NOTIFY_BACKOFF_MS 250

static const char *const event_names[] = { "start", "success", "failure",
					   "rollback", "missed" };

const char *notify_event_name(unsigned event)
{
	for (size_t i = 0; i < 5; i++)
		if (event == 1u << i)
			return event_names[i];
	return "?";
}

unsigned notify_event_of(const char *status)
{
	if (!strcmp(status, "succeeded"))
		return CONFIG_NOTIFY_SUCCESS;
	if (!strcmp(status, "rolled-back") || !strcmp(status, "rollback-failed"))
		return CONFIG_NOTIFY_ROLLBACK;
	if (!strcmp(status, "missed"))
		return CONFIG_NOTIFY_MISSED;
	if (!strcmp(status, "running"))
		return CONFIG_NOTIFY_START;
	/* incomplete and config-error are warnings (the bodies say so:
	 * ":warning:", "level": "warning"), told to the webhooks that want
	 * failures: something did not run that should have. */
	if (!strcmp(status, "failed") || !strcmp(status, "interrupted") ||
	    !strcmp(status, "skipped-precheck") ||
	    !strcmp(status, "incomplete") || !strcmp(status, "config-error"))
		return CONFIG_NOTIFY_FAILURE;
	return 0;
}

const char *notify_level(unsigned event, const char *status)
{
	if (event == CONFIG_NOTIFY_START)
		return "info";
	switch (runrec_status_of(status)->level) {
	case RUNREC_GOOD:
		return "good";
	case RUNREC_INFO:
		return "info";
	case RUNREC_WARN:
		return "warning";
	default:
		return "error";
	}
}

/* Slack's text escaping: only &, < and > are special. */
static void slack_text(FILE *f, const char *s)
{
	text_escape(f, s, TEXT_SLACK);
}

static const char *emoji(unsigned event, const char *status)
{
	switch (event) {
	case CONFIG_NOTIFY_START:
		return ":arrow_forward:";
	case CONFIG_NOTIFY_SUCCESS:
		return ":white_check_mark:";
	case CONFIG_NOTIFY_ROLLBACK:
		return strcmp(status, "rollback-failed") ? ":rewind:" :
		       ":rotating_light:";
	case CONFIG_NOTIFY_MISSED:
		return ":warning:";
	default:
		if (!strcmp(status, "skipped-precheck"))
			return ":no_entry:";
		return runrec_status_of(status)->level == RUNREC_WARN ?
		       ":warning:" : ":x:";
	}
}

static char *slack_body(const struct config *cfg, const json_t *rec,
			unsigned event)
{
	const char *status = runrec_str(rec, "status");
	char *text = NULL, *why, *path, dur[32], week[16];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *body;
	time_t t;
	int64_t ms;

	fprintf(f, "%s *", emoji(event, status));
	slack_text(f, runrec_str(rec, "job"));
	fputs("* ", f);
	if (event == CONFIG_NOTIFY_START)
		fputs("started", f);
	else if (event == CONFIG_NOTIFY_MISSED)
		fputs("missed its window", f);
	else
		slack_text(f, status);
	fputs(" on ", f);
	slack_text(f, *runrec_str(rec, "host") ? runrec_str(rec, "host") : "this host");
	fputs(" (run `", f);
	slack_text(f, runrec_str(rec, "run_id"));
	fputs("`", f);
	if (event != CONFIG_NOTIFY_START && event != CONFIG_NOTIFY_MISSED &&
	    !runrec_status_of(status)->not_run &&
	    runrec_int(rec, "duration_ms", &ms)) {
		units_format_elapsed(ms, dur, sizeof(dur));
		fprintf(f, ", %s", dur);
	}
	fputs(")", f);
	if (json_object_get(rec, "window")) {
		fputs(" in window '", f);
		slack_text(f, runrec_str(json_object_get(rec, "window"), "name"));
		fputs("'", f);
	}
	why = event == CONFIG_NOTIFY_START || event == CONFIG_NOTIFY_SUCCESS ?
	      NULL : runstats_why(rec);
	if (why) {
		fputs("\n", f);
		slack_text(f, why);
		free(why);
	}
	if (event != CONFIG_NOTIFY_START) {
		path = record_path(cfg, rec, "md");
		fputs("\nReport: ", f);
		slack_text(f, path);
		free(path);
		if (timefmt_parse(runrec_str(rec, "started"), &t) == 0) {
			isoweek_of(t, week, sizeof(week));
			path = weekly_path(cfg, week, "html");
			fputs("\nWeek: ", f);
			slack_text(f, path);
			free(path);
		}
	}
	fclose(f);
	body = json_pack("{s:s}", "text", text);
	free(text);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return text;
}

/* The generic body: the record's summary, without outputs. */
static char *json_body(const struct config *cfg, const json_t *rec,
		       unsigned event)
{
	static const char *const keep[] = { "run_id", "job", "description",
		"status", "started", "finished", "duration_ms", "host",
		"window", "rollback", "interrupted_step", "signal", "reason",
		"next_window", NULL };
	json_t *body = json_object(), *steps = json_array(), *s;
	struct runstats n;
	char *why, *text, week[16];
	size_t i;
	time_t t;
	int64_t ms;

	json_object_set_new(body, "event", json_string(
		notify_event_name(event)));
	json_object_set_new(body, "level", json_string(notify_level(event,
				runrec_str(rec, "status"))));
	for (i = 0; keep[i]; i++)
		if (json_object_get(rec, keep[i]))
			json_object_set(body, keep[i],
					json_object_get(rec, keep[i]));
	/* A number no run can have is left out, as the reports do. */
	if (!runrec_int(rec, "duration_ms", &ms))
		json_object_del(body, "duration_ms");
	else
		json_object_set_new(body, "duration_ms", json_integer(ms));
	json_array_foreach(json_object_get(rec, "steps"), i, s) {
		json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "name",
				      runrec_str(s, "name"), "kind", runrec_str(s, "kind"),
				      "status", runrec_str(s, "status"), "summary",
				      runrec_str(s, "summary"));

		if (runrec_int(s, "duration_ms", &ms))
			json_object_set_new(e, "duration_ms", json_integer(ms));
		json_array_append_new(steps, e);
	}
	json_object_set_new(body, "steps", steps);
	runstats_numbers(rec, &n);
	json_object_set_new(body, "numbers", json_pack(
		"{s:I, s:I, s:I, s:I}", "reclaimed_bytes",
		(json_int_t)n.reclaimed_bytes, "dead_tuples_removed",
		(json_int_t)n.dead_tuples_removed, "tables_vacuumed",
		(json_int_t)n.tables_vacuumed, "security_updates",
		(json_int_t)n.security_updates));
	why = runstats_why(rec);
	if (why && event != CONFIG_NOTIFY_START)
		json_object_set_new(body, "why", json_string(why));
	free(why);
	if (event != CONFIG_NOTIFY_START) {
		text = record_path(cfg, rec, "md");
		json_object_set_new(body, "report", json_string(text));
		free(text);
		if (timefmt_parse(runrec_str(rec, "started"), &t) == 0) {
			isoweek_of(t, week, sizeof(week));
			text = weekly_path(cfg, week, "html");
			json_object_set_new(body, "weekly_report",
					    json_string(text));
			free(text);
		}
	}
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	return text;
}

/*
 * The kinds of webhook (config_notify_format): a new one is a body
 * function and one line here.
 */
static const struct notify_target {
	enum config_notify_format format;
	const char *name;
	const char *content_type;
	char *(*body)(const struct config *cfg, const json_t *rec,
		      unsigned event);
} notify_targets[] = {
	{ CONFIG_NOTIFY_SLACK, "slack", "application/json", slack_body },
	{ CONFIG_NOTIFY_JSON, "json", "application/json", json_body },
};

static const struct notify_target *target_of(enum config_notify_format f)
{
	for (size_t i = 0; i < sizeof(notify_targets) /
	     sizeof(*notify_targets); i++)
		if (notify_targets[i].format == f)
			return &notify_targets[i];
	return &notify_targets[1];	/* the generic JSON summary */
}

char *notify_body(const struct config *cfg, const json_t *rec,
		  unsigned event, enum config_notify_format format)
{
	json_t *safe = record_redact(cfg, rec);
	char *body, *out;

	runrec_about(runrec_str(rec, RUNREC_RUN_ID));
	runrec_check(rec);
	body = target_of(format)->body(cfg, safe, event);
	out = config_redact(cfg, body);
	free(body);
	json_decref(safe);
	return out;
}

/* ---- sending ------------------------------------------------------------- */

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) != 0)
		;
}

/*
 * POSTs body to nt within budget_ms. Returns true when delivered (2xx);
 * else false with why in `why`.
 */
static bool send_one(const struct config_notify *nt, const char *body,
		     int64_t budget_ms, int *attempts, char *why, size_t len)
{
	int64_t deadline = clock_mono_ms() + budget_ms, backoff =
		NOTIFY_BACKOFF_MS;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers = NULL;
	bool ok = false;
	struct net_opts o = { .url = nt->url, .errbuf = errbuf };
	char ctype[96];
	CURL *c;

	*attempts = 0;
	if (!(c = net_curl_new(&o))) {
		snprintf(why, len, "cannot set up libcurl");
		return false;
	}
	snprintf(ctype, sizeof(ctype), "Content-Type: %s",
		 target_of(nt->format)->content_type);
	headers = curl_slist_append(headers, ctype);
	/* No "Expect: 100-continue" wait (a second) for larger bodies. */
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	while (*attempts < NOTIFY_MAX_ATTEMPTS) {
		int64_t left = deadline - clock_mono_ms();
		long status = 0;
		CURLcode rc;

		if (left <= 0)
			break;
		errbuf[0] = '\0';
		net_curl_timeout(c, left);
		(*attempts)++;
		rc = curl_easy_perform(c);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			if (status >= 200 && status < 300) {
				ok = true;
				break;
			}
			snprintf(why, len, "HTTP %ld", status);
			/* A client error will not go away by asking again. */
			if (status < 500 && status != 429 && status != 408)
				break;
		} else {
			snprintf(why, len, "%s", errbuf[0] ? errbuf :
				 curl_easy_strerror(rc));
			if (rc == CURLE_OPERATION_TIMEDOUT &&
			    clock_mono_ms() >= deadline)
				break;
		}
		if (clock_mono_ms() + backoff >= deadline)
			break;
		sleep_ms(backoff);
		backoff *= 2;
	}
	if (!ok && !*why)
		snprintf(why, len, "no time left in the %d s budget",
			 NOTIFY_BUDGET_MS / 1000);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return ok;
}

/*
 * Webhooks that just failed are left alone for a while: `run --due` after
 * a long outage records up to a hundred missed windows, and a hanging
 * webhook must not cost the budget a hundred times over.
 */
#define NOTIFY_COOLDOWN_MS (5 * 60 * 1000)

static struct {
	const struct config_notify *nt;
	int64_t until;			/* clock_mono_ms() */
} resting[16];

static bool is_resting(const struct config_notify *nt)
{
	for (size_t i = 0; i < sizeof(resting) / sizeof(*resting); i++)
		if (resting[i].nt == nt && clock_mono_ms() < resting[i].until)
			return true;
	return false;
}

static void rest(const struct config_notify *nt)
{
	size_t slot = 0;

	for (size_t i = 0; i < sizeof(resting) / sizeof(*resting); i++) {
		if (resting[i].nt == nt) {
			slot = i;
			break;
		}
		if (resting[i].until < resting[slot].until)
			slot = i;
	}
	resting[slot].nt = nt;
	resting[slot].until = clock_mono_ms() + NOTIFY_COOLDOWN_MS;
}

int notify_run(const struct config *cfg, const struct config_job *job,
	       const json_t *rec, unsigned event)
{
	const struct config_notify *list[64];
	int64_t deadline = clock_mono_ms() + NOTIFY_BUDGET_MS;
	size_t n = 0;
	int sent = 0;

	/* An empty URL is an unset ${VAR} of a read-only command's load. */
	for (size_t i = 0; i < cfg->settings.notify.n && n < 64; i++)
		if (cfg->settings.notify.v[i].events & event &&
		    cfg->settings.notify.v[i].url && *cfg->settings.notify.v[i].url)
			list[n++] = &cfg->settings.notify.v[i];
	for (size_t i = 0; job && i < job->notify.n && n < 64; i++)
		if (job->notify.v[i].events & event && job->notify.v[i].url &&
		    *job->notify.v[i].url)
			list[n++] = &job->notify.v[i];
	for (size_t i = 0; i < n; i++) {
		char why[CURL_ERROR_SIZE + 32] = "", *safe, *body;
		int64_t share = (deadline - clock_mono_ms()) / (int64_t)(n - i);
		int attempts;

		if (is_resting(list[i])) {
			log_msg(LOG_WARN, NULL, "notify '%s': %s not sent: it "
				"failed less than %d minutes ago (it is tried "
				"again after that)", list[i]->name,
				notify_event_name(event),
				NOTIFY_COOLDOWN_MS / 60000);
			continue;
		}
		body = notify_body(cfg, rec, event, list[i]->format);
		if (send_one(list[i], body, share, &attempts, why,
			     sizeof(why))) {
			sent++;
			log_msg(LOG_INFO, NULL, "notify '%s': %s sent%s",
				list[i]->name, notify_event_name(event),
				attempts > 1 ? " (after retries)" : "");
		} else {
			/* curl's messages name hosts, not paths; redact all
			 * the same. */
			safe = config_redact(cfg, why);
			log_msg(LOG_WARN, NULL, "notify '%s': %s not sent after "
				"%d attempt%s: %s", list[i]->name,
				notify_event_name(event), attempts,
				attempts == 1 ? "" : "s", safe);
			free(safe);
			rest(list[i]);
		}
		free(body);
	}
	return sent;
}
