/*
 * Notifications: webhooks (libcurl) told when a run starts, succeeds,
 * fails (or ends incomplete, or its job is excluded for a config error:
 * warnings), rolls back or misses its window, with a Slack-compatible
 * {"text": ...} body or a generic JSON summary of the run record. They
 * never hold up or fail a run: every event has a total budget
 * (NOTIFY_BUDGET_MS) shared by its webhooks, retries back off within it,
 * a webhook that failed is left alone for a few minutes, and problems are
 * logged as warnings naming the webhook, never its URL (it holds a
 * token). Not for the Prometheus textfile (metrics.c).
 */
#ifndef UPKEEP_NOTIFY_H
#define UPKEEP_NOTIFY_H

#include <jansson.h>

#include "config.h"

/* What one event may cost the run, all its webhooks and retries included. */
#define NOTIFY_BUDGET_MS 10000
/* Attempts per webhook at most (a 5xx, 429 or network error is retried). */
#define NOTIFY_MAX_ATTEMPTS 4

/* The event (CONFIG_NOTIFY_*) a run's final status is; 0 for none. */
unsigned notify_event_of(const char *status);
/*
 * How bad the news is, for the bodies (the JSON "level", the Slack
 * emoji): "good", "info", "warning" (incomplete, config-error,
 * skipped-precheck) or "error".
 */
const char *notify_level(unsigned event, const char *status);
/* "start", "success", ... for one CONFIG_NOTIFY_* bit. */
const char *notify_event_name(unsigned event);

/*
 * The body sent for rec (redacted with cfg's secrets) as format. New
 * string.
 */
char *notify_body(const struct config *cfg, const json_t *rec,
		  unsigned event, enum config_notify_format format);

/*
 * Tells the webhooks of upkeep.yaml and of job (may be NULL) that ask for
 * event about rec. Returns how many were delivered; failures are logged.
 */
int notify_run(const struct config *cfg, const struct config_job *job,
	       const json_t *rec, unsigned event);

#endif
