/*
 * Maintenance windows in time: when an occurrence opens, its cutoff (no
 * step starts after it) and its end, blackout dates skipped. Built on
 * calendar.h; knows nothing about jobs or runs.
 */
#ifndef UPKEEP_WINDOW_H
#define UPKEEP_WINDOW_H

#include <stdbool.h>
#include <time.h>

struct config_window;

/* One occurrence of a window; start identifies it. */
struct window_occ {
	time_t start;
	time_t cutoff;		/* end - cutoff: the last moment a step starts */
	time_t end;		/* start + duration */
};

/*
 * The first occurrence that opens strictly after `after`, skipping
 * blackout dates (dates of the opening in the window's zone). Returns 0,
 * or -1 with error_set() when the window never opens again.
 */
int window_next(const struct config_window *w, time_t after,
		struct window_occ *occ);

/*
 * The occurrence open at t (start <= t < end), the latest one if several
 * overlap. Returns 1 with *occ set, 0 when no occurrence is open.
 */
int window_open_at(const struct config_window *w, time_t t,
		   struct window_occ *occ);

#endif
