/* What follows a saved run record; see publish.h. */
#include "publish.h"

#include "history.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "util/error.h"
#include "weekly.h"

void publish_record(const struct config *cfg, const struct config_job *job,
		    const json_t *rec, time_t week_of)
{
	if (history_add(cfg, rec) < 0)
		log_msg(LOG_WARN, NULL, "%s", error_last());
	if (weekly_add(cfg, rec, week_of) < 0 || metrics_write(cfg) < 0)
		log_msg(LOG_WARN, NULL, "%s", error_last());
	notify_run(cfg, job, rec, notify_event_of(json_string_value(
		json_object_get(rec, "status"))));
}
