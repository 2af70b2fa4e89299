/*
 * What the libFuzzer targets of fuzz/ share: the two entry points
 * libFuzzer calls, and small helpers to turn its bytes into a C string
 * and to keep a private scratch directory. Each target feeds one parser
 * of untrusted text (config files, calendar specs, run records, Docker
 * and registry replies); fuzz/README.md says how they are built and run.
 * Not part of upkeep: nothing in runner/ includes it.
 */
#ifndef UPKEEP_FUZZ_H
#define UPKEEP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* data as a NUL-terminated string (cut at a NUL it holds); free() it. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/*
 * A new private directory under $TMPDIR (or /tmp) named for the target,
 * removed with everything in it when the process exits. Aborts when it
 * cannot be made.
 */
const char *fuzz_tmpdir(const char *target);

/* Writes len bytes of data to path (created or truncated). Aborts on error. */
void fuzz_write(const char *path, const void *data, size_t len);

#endif
