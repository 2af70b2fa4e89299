/* The run log; see log.h. Lines go to stderr; stdout is for results. */
#include "log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/timefmt.h"
#include "util/units.h"

static enum log_format format = LOG_TEXT;
static int verbosity = 0;
static const struct config *cfg;
static const char *run_id;
static const char *job;
/* A partial output line waiting for its newline. */
static char pending[4096];
static size_t npending;

/*
 * The progress line of the running step on a terminal, redrawn every
 * second by a thread: "  ▸ vacuum  2m 10s of 45m", then what the step
 * said it is doing, if anything. Log lines clear it first (under
 * out_lock); it comes back at the next tick.
 */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool running;		/* the thread exists */
	bool stop;
	bool drawn;		/* the line is on the screen now */
	pthread_t thread;
	pthread_cond_t wake;
	char step[128];
	char detail[256];	/* log_progress_detail()'s, or "" */
	int64_t start_ms, timeout_ms;
} progress = { .wake = PTHREAD_COND_INITIALIZER };

/* Call with out_lock held. */
static void progress_clear(void)
{
	if (progress.drawn) {
		fputs("\r\033[K", stderr);
		progress.drawn = false;
	}
}

static void *progress_loop(void *arg)
{
	struct timespec at;

	(void)arg;
	pthread_mutex_lock(&out_lock);
	while (!progress.stop) {
		char done[32], limit[32];

		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_sec += 1;
		pthread_cond_timedwait(&progress.wake, &out_lock, &at);
		if (progress.stop)
			break;
		units_format_elapsed(clock_mono_ms() - progress.start_ms, done,
				     sizeof(done));
		units_format_duration(progress.timeout_ms, limit, sizeof(limit));
		fprintf(stderr, "\r\033[K  ▸ %s  %s of %s%s%s", progress.step,
			done, limit, *progress.detail ? "  " : "",
			progress.detail);
		fflush(stderr);
		progress.drawn = true;
	}
	progress_clear();
	pthread_mutex_unlock(&out_lock);
	return NULL;
}

void log_progress_begin(const char *step, int64_t timeout_ms)
{
	if (format != LOG_TEXT || verbosity < 0 || progress.running ||
	    !isatty(STDERR_FILENO))
		return;
	snprintf(progress.step, sizeof(progress.step), "%s", step);
	progress.detail[0] = '\0';
	progress.start_ms = clock_mono_ms();
	progress.timeout_ms = timeout_ms;
	progress.stop = false;
	progress.running = pthread_create(&progress.thread, NULL,
					  progress_loop, NULL) == 0;
}

void log_progress_end(void)
{
	if (!progress.running)
		return;
	pthread_mutex_lock(&out_lock);
	progress.stop = true;
	pthread_cond_signal(&progress.wake);
	pthread_mutex_unlock(&out_lock);
	pthread_join(progress.thread, NULL);
	progress.running = false;
}

bool log_progress_shown(void)
{
	return progress.running;
}

void log_progress_detail(const char *fmt, ...)
{
	va_list ap;

	if (!progress.running)
		return;
	pthread_mutex_lock(&out_lock);
	progress.detail[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(progress.detail, sizeof(progress.detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&out_lock);
}

void log_setup(enum log_format f, int v)
{
	format = f;
	if (v == LOG_DEFAULT_VERBOSITY)
		v = isatty(STDERR_FILENO) ? 0 : -1;
	verbosity = v;
}

void log_context(const struct config *c, const char *run, const char *j)
{
	cfg = c;
	run_id = run;
	job = j;
	npending = 0;
}

static bool shown(enum log_level level)
{
	int need = level == LOG_DEBUG ? 1 : level == LOG_INFO ? 0 : -1;

	return level == LOG_RESULT || verbosity >= need;
}

static void emit(enum log_level level, const char *step, const char *msg)
{
	static const char *const names[] = { "debug", "info", "warning",
					     "error", "result" };
	char *safe = cfg ? config_redact(cfg, msg) : xstrdup(msg);
	char ts[32];

	timefmt_rfc3339(clock_now(), ts, sizeof(ts));
	pthread_mutex_lock(&out_lock);
	progress_clear();
	if (format == LOG_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "ts", ts, "level",
				      names[level], "msg", safe);
		char *line;

		if (run_id)
			json_object_set_new(o, "run", json_string(run_id));
		if (job)
			json_object_set_new(o, "job", json_string(job));
		if (step)
			json_object_set_new(o, "step", json_string(step));
		line = json_dumps(o, JSON_COMPACT);
		fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
	} else {
		const char *tag = level == LOG_WARN ? "warning: " :
				  level == LOG_ERROR ? "error: " : "";

		ts[10] = ' ';
		/* "job/step: ", "job: ", "step: " (recovery has no job
		 * context) or nothing. */
		fprintf(stderr, "%.19s %s%s%s%s%s%s\n", ts, job ? job : "",
			job && step ? "/" : "", step ? step : "",
			job || step ? ": " : "", tag, safe);
	}
	pthread_mutex_unlock(&out_lock);
	free(safe);
}

void log_msg(enum log_level level, const char *step, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!shown(level))
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		emit(level, step, msg);
	free(msg);
}

void log_output(const char *step, const char *data, size_t len)
{
	if (!shown(LOG_DEBUG))
		return;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' || npending == sizeof(pending) - 1) {
			char *text = text_sanitize(pending, npending);

			emit(LOG_DEBUG, step, text);
			free(text);
			npending = 0;
			if (data[i] == '\n')
				continue;
		}
		pending[npending++] = data[i];
	}
}
