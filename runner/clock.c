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

time_t clock_now(void)
{
	struct timespec now;

	if (!fixed)
		return time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	return fixed_at + (now.tv_sec - fixed_mono.tv_sec);
}
