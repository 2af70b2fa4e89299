/*
 * The run log: human lines on a terminal, JSON lines with --log-format
 * json, quiet by default when nobody is watching (cron, a timer): then
 * only warnings, errors and the final line. Everything logged passes
 * through the config's redaction first. Not the report (see report.h).
 */
#ifndef UPKEEP_LOG_H
#define UPKEEP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

enum log_format { LOG_TEXT, LOG_JSON };

enum log_level {
	LOG_DEBUG,	/* step output lines */
	LOG_INFO,	/* steps starting and ending */
	LOG_WARN,
	LOG_ERROR,
	LOG_RESULT,	/* the final line of a run: always shown */
};

/*
 * verbosity: -1 quiet (warnings and up), 0 normal (info and up), 1 also
 * step output. LOG_DEFAULT_VERBOSITY picks 0 on a terminal, -1 elsewhere.
 */
#define LOG_DEFAULT_VERBOSITY (-2)
void log_setup(enum log_format format, int verbosity);
/* What the following lines are about; cfg supplies the redaction. */
void log_context(const struct config *cfg, const char *run_id,
		 const char *job);
void log_msg(enum log_level level, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A chunk of a step's output: logged line by line at LOG_DEBUG. */
void log_output(const char *step, const char *data, size_t len);

/*
 * On a terminal with text logs (not when quiet), a progress line for the
 * running step — elapsed vs timeout, redrawn every second — from begin to
 * end. Elsewhere both do nothing. It is the only progress line: a step
 * that can say more reports through log_progress_detail(), never by
 * drawing on the terminal itself.
 */
void log_progress_begin(const char *step, int64_t timeout_ms);
void log_progress_end(void);
/*
 * True while the progress line is shown: a step may skip the work of
 * finding out its detail when nobody would see it.
 */
bool log_progress_shown(void);
/*
 * What the running step is doing now, shown on the progress line after
 * its time ("app: 3/10 tables done; now public.items"); fmt NULL clears
 * it. Does nothing while no progress line is shown.
 */
void log_progress_detail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
