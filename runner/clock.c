/*
 * The clock; see clock.h. A fixed clock keeps running from the instant it
 * was fixed at, so a daemon started at "Sun 01:59:58" sees its window open
 * two real seconds later, as a test expects.
 */
#include "clock.h"

#include <stdbool.h>

#include "calendar.h"
#include "util/error.h"

static bool fixed;
static time_t fixed_at;		/* the instant given */
static struct timespec fixed_mono;	/* CLOCK_MONOTONIC when given */

int clock_fix(time_t t)
{
	/* 1970-01-01 to the last second of CALENDAR_YEAR_MAX, UTC. */
	struct tm last = { .tm_year = CALENDAR_YEAR_MAX + 1 - 1900,
			   .tm_mday = 1 };
	time_t max = timegm(&last) - 1;

	if (t < 0 || t > max)
		return error_set("it is outside the years upkeep's calendar "
				 "covers (%d-01-01 to %d-12-31, UTC)",
				 CALENDAR_YEAR_MIN, CALENDAR_YEAR_MAX);
	fixed = true;
	fixed_at = t;
	clock_gettime(CLOCK_MONOTONIC, &fixed_mono);
	return 0;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Nanoseconds of CLOCK_MONOTONIC since the clock was fixed. */
static int64_t fixed_elapsed_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - fixed_mono.tv_sec) * 1000000000 +
	       (now.tv_nsec - fixed_mono.tv_nsec);
}

/*
 * Not time(): on Linux it reads the coarse clock, which reaches a new
 * second up to a scheduler tick (4 ms) after CLOCK_REALTIME does. The
 * daemon's timer fires on CLOCK_REALTIME; read with time() at that moment,
 * "now" could still be the second before the opening it woke up for.
 */
time_t clock_now(void)
{
	struct timespec ts;

	if (fixed)
		return fixed_at + (time_t)(fixed_elapsed_ns() / 1000000000);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

void clock_deadline(time_t t, clockid_t *id, struct timespec *abs)
{
	if (!fixed) {
		*id = CLOCK_REALTIME;
		abs->tv_sec = t;
		abs->tv_nsec = 0;
		return;
	}
	/* clock_now() reaches t exactly (t - fixed_at) s after fixing. */
	*id = CLOCK_MONOTONIC;
	*abs = fixed_mono;
	abs->tv_sec += t - fixed_at;
}
