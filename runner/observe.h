/*
 * Observations of the system in run records, for the weekly report:
 * disks ({mount, total_bytes, free_bytes|available_bytes}), memory
 * ({total_bytes, available_bytes|used_bytes} or {used_percent} under a
 * "memory" key), databases ({database, size_bytes}), tables and their
 * dead tuples, and images with updates, wherever a kind put them (found
 * by shape). Each keeps the first and the last seen. Not for one run's
 * own numbers (runstats.h).
 */
#ifndef UPKEEP_OBSERVE_H
#define UPKEEP_OBSERVE_H

#include <jansson.h>
#include <stdint.h>

struct observe {
	json_t *disks;		/* mount -> {first, last} */
	json_t *memory;		/* {first, last} */
	json_t *databases;	/* name -> {first, last} */
	json_t *ratios;		/* table -> {before, after?, run_id}: last */
	json_t *tables;		/* table -> runs with dead tuples removed */
	json_t *images;		/* images with updates: name -> true */
};

void observe_init(struct observe *ob);
void observe_free(struct observe *ob);
/* Adds what rec saw, and what extra (observe_snapshot_metrics()) holds. */
void observe_run(struct observe *ob, const json_t *rec, const json_t *extra);
/*
 * Adds one (what observe_run() saw of a single run, newer than every run
 * ob holds) to ob but for its tables: ob is left as observe_run() of that
 * run on ob would leave it, without walking the record again. The tables
 * are the caller's to count (the week's model keeps counts, not each
 * run's id).
 */
void observe_add(struct observe *ob, const struct observe *one);
/*
 * The system metrics a snapshot step wrote beside its dumps
 * (docs/steps/snapshot.md: DIR/metrics.json), for the records whose
 * details do not carry them; NULL when there are none (or they were
 * pruned since). New reference.
 */
json_t *observe_snapshot_metrics(const json_t *rec);

/* A disk's free bytes: free_bytes, else available_bytes (0: neither). */
int64_t observe_disk_free(const json_t *disk);
/* A disk's percent used, or -1 when its size is not known. */
double observe_disk_used(const json_t *disk);
/* Memory's percent used, or -1 when it cannot be told. */
double observe_memory_used(const json_t *memory);

#endif
