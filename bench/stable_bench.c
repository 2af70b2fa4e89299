/*
 * The tracked-config operations alone, for bench/rollback.sh (timed from
 * the shell against the git commands a user would otherwise run):
 *   stable_bench snapshot REPO        one run snapshot (like git stash create)
 *   stable_bench restore REPO COMMIT  one rollback to COMMIT
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "stable.h"
#include "util/error.h"

int main(int argc, char **argv)
{
	struct config_tracked t = { .stable_ref = "refs/upkeep/last-stable" };
	struct stable s;
	struct stable_snap snap;
	stable_id commit;
	json_t *files = NULL;
	char ref[64];
	int rc;

	if (argc < 3 || (strcmp(argv[1], "snapshot") && argc != 4)) {
		fprintf(stderr, "usage: stable_bench snapshot REPO | restore "
			"REPO COMMIT\n");
		return 2;
	}
	t.repo = argv[2];
	snprintf(ref, sizeof(ref), "refs/upkeep/runs/bench-%ld",
		 (long)time(NULL));
	if (stable_open(&t, &s) < 0) {
		fprintf(stderr, "%s\n", error_last());
		return 1;
	}
	if (!strcmp(argv[1], "snapshot"))
		rc = stable_snapshot(&s, ref, time(NULL), &snap);
	else
		rc = stable_restore(&s, argv[3], ref, NULL, "bench", time(NULL),
				    commit, &files);
	json_decref(files);
	stable_close(&s);
	if (rc < 0)
		fprintf(stderr, "%s\n", error_last());
	return rc < 0;
}
