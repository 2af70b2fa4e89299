# upkeep: build, install, set-up and tests (GNU make; no autotools).
#
#   make               build build/upkeep
#   make deps          install the Debian packages (does nothing when present)
#   make check         deps + build + unit and integration tests, then the
#                      same tests again under ASan+UBSan
#   make demo          deps + build + show upkeep on the shipped config
#   make bench         benchmarks against the tools users would otherwise use
#   make install       PREFIX=/usr/local DESTDIR= (staged installs)
#   make SANITIZE=address,undefined   a sanitizer build in build/san/

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS      = libgit2 libpq libcurl yaml-0.1 jansson
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
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
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
	clean \
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

deps:
	@scripts/deps.sh

# The unit tests (cmocka) and the integration tests (TAP, real servers),
# against the build in $(BUILD).
unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

integration: $(BUILD)/upkeep
	UPKEEP=$(CURDIR)/$(BUILD)/upkeep prove -j2 tests/integration/

test: unit integration

# The README's test command: also what .ci/run calls.
check: deps
	$(MAKE) test
	$(MAKE) test SANITIZE=address,undefined \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

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
