/*
 * Window occurrences from a window's calendar spec, duration, cutoff and
 * blackout dates. The DST rules live in calendar.c; here an occurrence is
 * an instant plus elapsed time, so a window that spans a DST change is
 * still `duration` long in real time.
 */
#include "window.h"

#include <string.h>

#include "calendar.h"
#include "config.h"
#include "util/error.h"
#include "util/tz.h"

static bool blacked_out(const struct config_window *w, time_t start)
{
	struct tm tm;

	if (!w->nblackout)
		return false;
	tz_use(w->timezone);
	localtime_r(&start, &tm);
	for (size_t i = 0; i < w->nblackout; i++)
		if (w->blackout[i].year == tm.tm_year + 1900 &&
		    w->blackout[i].month == tm.tm_mon + 1 &&
		    w->blackout[i].day == tm.tm_mday)
			return true;
	return false;
}

static void occ_fill(const struct config_window *w, time_t start,
		     struct window_occ *occ)
{
	occ->start = start;
	occ->end = start + (time_t)(w->duration_ms / 1000);
	occ->cutoff = occ->end - (time_t)(w->cutoff_ms / 1000);
}

int window_next(const struct config_window *w, time_t after,
		struct window_occ *occ)
{
	time_t t = after;

	do {
		if (calendar_next(&w->calendar, w->timezone, t, &t) < 0)
			return error_set("window '%s' never opens after this: "
					 "%s", w->name, error_last());
	} while (blacked_out(w, t));
	occ_fill(w, t, occ);
	return 0;
}

int window_open_at(const struct config_window *w, time_t t,
		   struct window_occ *occ)
{
	time_t dur = (time_t)(w->duration_ms / 1000), back = 1, from;
	struct window_occ cur;
	int found = 0;

	/*
	 * Openings in (t - duration, t] are open at t; keep the latest.
	 * Look back 1, 2, 4 … seconds (at most the duration) for the
	 * nearest span that holds one, then walk forward to the last: a
	 * window opening every second for a week costs a few dozen steps,
	 * not one per opening since the week began.
	 */
	for (;;) {
		if (back > dur)
			back = dur;
		from = t - back;
		if (window_next(w, from, &cur) == 0 && cur.start <= t)
			break;
		if (back == dur)
			return 0;
		back *= 2;
	}
	do {
		*occ = cur;
		found = 1;
	} while (window_next(w, cur.start, &cur) == 0 && cur.start <= t);
	return found;
}
