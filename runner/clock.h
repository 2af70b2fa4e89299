/*
 * The one clock every time decision reads. Normally the system's; a fixed
 * instant from --now or UPKEEP_NOW makes runs, `next` and the daemon
 * reproducible, so tests never wait for Sunday. Not for measuring
 * durations (use CLOCK_MONOTONIC for those).
 */
#ifndef UPKEEP_CLOCK_H
#define UPKEEP_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * Fixes the clock at t (from --now or UPKEEP_NOW). Returns 0, or -1 with
 * error_set() when t is outside the years the calendar knows
 * (CALENDAR_YEAR_MIN to CALENDAR_YEAR_MAX): there no window opens, every
 * opening since the last run would count as missed, and times near the
 * ends of time_t overflow the arithmetic that adds durations to them.
 */
int clock_fix(time_t t);
/* Now: the fixed instant, advanced by the real time since it was fixed. */
time_t clock_now(void);
/*
 * How to sleep until clock_now() reaches t: an absolute deadline on
 * CLOCK_REALTIME for the real clock (the kernel wakes sleepers when the
 * clock is set or the host resumes), on CLOCK_MONOTONIC for a fixed one.
 */
void clock_deadline(time_t t, clockid_t *id, struct timespec *abs);
/* Milliseconds of CLOCK_MONOTONIC: for durations and deadlines. */
int64_t clock_mono_ms(void);

#endif
