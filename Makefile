# upkeep: build, install, set-up and tests (GNU make; no autotools).
#
#   make               build build/upkeep
#   make deps          install the Debian packages (does nothing when present)
#   make check         deps + build + unit and integration tests, then the
#                      same tests again under ASan+UBSan (float-cast-overflow
#                      included), then a short bounded run of every fuzz target
#   make fuzz          the libFuzzer targets of fuzz/ (clang), FUZZ_TIME
#                      seconds each (default 600); see fuzz/README.md
#   make demo          deps + build + show upkeep on the shipped config
#   make bench         benchmarks against the tools users would otherwise use
#   make install       PREFIX=/usr/local DESTDIR= (staged installs)
#   make SANITIZE=address,undefined   a sanitizer build in build/san/
#   make fuzz-check    every fuzz target for FUZZ_CHECK_TIME seconds (10)

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS      = libgit2 libpq libcurl libcrypto yaml-0.1 jansson
# Linked at start: only these. The others are compiled against (their
# headers) and loaded with dlopen() when a step, check or command needs
# them (runner/util/lazylib.h): startup time and the idle daemon's memory.
LINK_PKGS = yaml-0.1 jansson
SANITIZE ?=

ifeq ($(SANITIZE),)
BUILD    ?= build
SANFLAGS  =
else
BUILD    ?= build/san
SANFLAGS  = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wformat=2
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DUPKEEP_VERSION='"$(VERSION)"' \
	     -Irunner $(WARN) $(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

SRCS      = $(sort $(wildcard runner/*.c runner/*/*.c))
OBJS      = $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS  = $(filter-out $(BUILD)/runner/main.o,$(OBJS))
UNIT_SRCS = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BINS = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))

.PHONY: all deps check test unit integration demo demo-clean bench install \
	clean fuzz fuzz-build fuzz-check \
	pkgcheck

all: $(BUILD)/upkeep

pkgcheck:
	@pkg-config --exists $(PKGS) || { \
	  echo "upkeep: missing libraries:"; \
	  pkg-config --print-errors --exists $(PKGS) 2>&1 | sed 's/^/  /'; \
	  echo "run 'make deps' to install them"; exit 1; }

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q =
say = @true
else
Q = @
say = @echo
endif

$(BUILD)/upkeep: $(OBJS)
	$(say) "  LD      $@"
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

$(BUILD)/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(say) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Small programs that drive one part alone, for bench/*.sh.
$(BUILD)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(say) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(say) "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) \
	  $(ALL_LDFLAGS) $(PKG_LIBS) $(CMOCKA_LIBS)

-include $(OBJS:.o=.d)

# ---- fuzzing (fuzz/README.md) ----------------------------------------------
# libFuzzer needs clang; the project's objects are gcc's, so the fuzz
# targets get their own object set in $(FUZZ_BUILD): every runner/ source
# but main.c, with ASan, UBSan (float-cast-overflow too) and libFuzzer's
# coverage. Warnings there are clang's view of gcc-clean code: shown, not
# fatal; fuzz/*.c itself is -Werror.
FUZZ_CC     ?= clang
FUZZ_BUILD  ?= build/fuzz
FUZZ_TIME   ?= 600
FUZZ_CHECK_TIME ?= 10
FUZZ_SAN     = -fsanitize=address,undefined,float-cast-overflow \
	       -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  = -std=c11 -D_GNU_SOURCE -DUPKEEP_VERSION='"$(VERSION)"' \
	       -Irunner -Wall -Wextra $(PKG_CFLAGS) -g -O1 $(FUZZ_SAN)
FUZZ_NAMES   = $(filter-out fuzz,$(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c)))
FUZZ_BINS    = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz-%)
FUZZ_OBJS    = $(patsubst %.c,$(FUZZ_BUILD)/%.o,\
	       $(filter-out runner/main.c,$(SRCS)))

$(FUZZ_BUILD)/runner/%.o: runner/%.c | pkgcheck
	@mkdir -p $(dir $@)
	$(say) "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	  -c -o $@ $<

$(FUZZ_BUILD)/fuzz-%: fuzz/%.c fuzz/fuzz.c fuzz/fuzz.h $(FUZZ_OBJS)
	$(say) "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -Wmissing-prototypes -Ifuzz \
	  -fsanitize=fuzzer -o $@ $< fuzz/fuzz.c $(FUZZ_OBJS) $(PKG_LIBS)

-include $(FUZZ_OBJS:.o=.d)
# Kept between builds (make would delete them as intermediate files).
.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_BINS)

# Long runs: FUZZ_TIME seconds per target; what they find stays in
# $(FUZZ_BUILD)/corpus, crashes in $(FUZZ_BUILD)/crashes.
fuzz: fuzz-build
	@fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME) $(FUZZ_NAMES)

# The bounded run of `make check`: the reproducers, then FUZZ_CHECK_TIME
# seconds per target. Without clang it fails in CI and is skipped, loudly,
# elsewhere.
fuzz-check:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	    ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n)' \
	      '{ (void)d; (void)n; return 0; }' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then \
	  echo "fuzz-check: $(FUZZ_CC) with libFuzzer is missing (Debian:" \
	    "apt-get install clang libclang-rt-14-dev)"; \
	  if [ "$${CI:-}" = true ]; then exit 1; fi; \
	  echo "fuzz-check: SKIPPED (not CI)"; exit 0; \
	fi
	@$(MAKE) --no-print-directory fuzz-build
	@fuzz/run.sh --check $(FUZZ_BUILD) $(FUZZ_CHECK_TIME) $(FUZZ_NAMES)

deps:
	@scripts/deps.sh

# The unit tests (cmocka) and the integration tests (TAP, real servers),
# against the build in $(BUILD).
unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; UPKEEP_STRICT_RECORDS=1 $$t; done

integration: $(BUILD)/upkeep
	UPKEEP=$(CURDIR)/$(BUILD)/upkeep prove -j2 tests/integration/

test: unit integration

# The README's test command: also what .ci/run calls.
# float-cast-overflow is not part of gcc's "undefined": without it a double
# too large for an int64 (a duration_ms of 3e52 in a record) is silently
# INT64_MIN instead of a failed test.
CHECK_SANITIZE = address,undefined,float-cast-overflow

check: deps
	$(MAKE) test
	$(MAKE) test SANITIZE=$(CHECK_SANITIZE) \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	$(MAKE) fuzz-check

# deps first, then a fresh make: the library flags are read when make
# starts, which on a new machine is before deps installed them.
demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh $(BUILD)/upkeep

# The demo's config root and reports (./demo); its servers stop by themselves.
demo-clean:
	rm -rf demo

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@bench/run.sh $(BUILD)/upkeep

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(BUILD)/upkeep $(DESTDIR)$(BINDIR)/upkeep
	install -m 0644 man/upkeep.1 $(DESTDIR)$(MANDIR)/man1/upkeep.1
	install -m 0644 man/upkeep-jobs.5 $(DESTDIR)$(MANDIR)/man5/upkeep-jobs.5
	install -m 0644 contrib/upkeep.bash-completion \
	  $(DESTDIR)$(BASHCOMPDIR)/upkeep
	install -d $(DESTDIR)$(PREFIX)/share/doc/upkeep
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/upkeep/README.md

clean:
	rm -rf build
