/*
 * The clock; see clock.h. A fixed clock keeps running from the instant it
 * was fixed at, so a daemon started at "Sun 01:59:58" sees its window open
 * two real seconds later, as a test expects.
 */
#include "clock.h"

#include <stdbool.h>

static bool fixed;
static time_t fixed_at;		/* the instant given */
static struct timespec fixed_mono;	/* CLOCK_MONOTONIC when given */

void clock_fix(time_t t)
{
	fixed = true;
	fixed_at = t;
	clock_gettime(CLOCK_MONOTONIC, &fixed_mono);
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

time_t clock_now(void)
{
	if (!fixed)
		return time(NULL);
	return fixed_at + (time_t)(fixed_elapsed_ns() / 1000000000);
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
