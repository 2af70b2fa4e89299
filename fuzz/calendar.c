/*
 * Fuzz target: the calendar parser (calendar_parse), systemd.time(7)
 * events and 5-field cron alike, and for a spec it accepts, the next
 * openings it gives (calendar_next) in UTC and in a zone with DST, from
 * a few starting instants including the far ends of the years a spec may
 * name. A spec is text from a schedule file or the command line.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <time.h>

#include "calendar.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const zones[] = { NULL, "Europe/Berlin",
					     "America/Santiago" };
	/* 2026-03-29 00:30 UTC (a DST night), 1970, and late in 2199. */
	static const time_t from[] = { 1774744200, 0, 7258032000 };
	struct calendar cal;
	char *spec;

	if (size > 256)		/* specs are one line */
		return -1;
	spec = fuzz_cstr(data, size);
	if (calendar_parse(spec, &cal) == 0) {
		for (size_t z = 0; z < sizeof(zones) / sizeof(*zones); z++)
			for (size_t f = 0; f < sizeof(from) / sizeof(*from);
			     f++) {
				time_t t = from[f], next;

				/* Three openings in a row, as `upkeep next`. */
				for (int i = 0; i < 3; i++) {
					if (calendar_next(&cal, zones[z], t,
							  &next) < 0)
						break;
					if (next <= t)
						abort();	/* must move on */
					t = next;
				}
			}
	}
	free(spec);
	return 0;
}
