# swerve - outbound email gateway.
#
#   make            build bin/swerved, bin/swervectl, bin/swerve-mock (release)
#   make demo       set up, build, run the failover demo (scripts/demo.py)
#   make run        set up, build, start swerved on the embedded defaults
#   make test       set up, build with ASan+UBSan, run every test and lint
#   make fuzz       build the libFuzzer targets (clang) into $(B)/fuzz/
#   make bench      run the benchmarks in bench/ (see bench/README.md)
#   make format     clang-format the sources
#   make lint       clang-format check, clang-tidy, cppcheck: fails on a finding
#   make install    install the release binaries, man pages and the systemd
#                   unit under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)
#
# Two build trees: $(B)/release (-O2) and $(B)/asan (ASan+UBSan, used by
# the tests). Every .c under src/ except src/cmd is part of libswerve.a.

CC       ?= cc
B        ?= build
PKGS     := libevent libevent_openssl libevent_pthreads openssl sqlite3 \
            yaml-0.1 jansson libcurl libxml-2.0 libidn2 \
            libsystemd hiredis libcares
WARN     := -std=c17 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Isrc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

LIB_SRCS  := $(filter-out src/cmd/%,$(wildcard src/*/*.c))
CMD_SRCS  := $(wildcard src/cmd/*.c)
PROGS     := $(notdir $(CMD_SRCS:.c=))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
HDRS      := $(wildcard src/*/*.h tests/unit/*.h)
FORMAT_SRCS := $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h fuzz/*.c bench/*.c)

SETUP_STAMP := build/.setup-done

release_CFLAGS := -O2 -g
asan_CFLAGS    := -O1 -g -fno-omit-frame-pointer \
                  -fsanitize=address,undefined -fno-sanitize-recover=all

.PHONY: all setup run demo test unit fuzz-replay integration fuzz bench \
        format lint clean install uninstall
.DEFAULT_GOAL := all
# Keep intermediate objects (test and replay .o files) for incremental builds.
.SECONDARY:

all: $(addprefix bin/,$(PROGS))

# setup: install the Debian packages once (idempotent script; the stamp
# only saves the dpkg queries on later runs).
setup: $(SETUP_STAMP)
$(SETUP_STAMP): scripts/setup-deps.sh
	bash scripts/setup-deps.sh
	@mkdir -p $(@D) && touch $@

# --- object trees -----------------------------------------------------------
define variant
$(B)/$(1)/obj/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(CPPFLAGS) $$(WARN) $$($(1)_CFLAGS) $$(PKG_CFLAGS) -MMD -MP -c $$< -o $$@

$(B)/$(1)/libswerve.a: $(LIB_SRCS:%.c=$(B)/$(1)/obj/%.o)
	@rm -f $$@
	ar rcs $$@ $$^

$(B)/$(1)/bin/%: $(B)/$(1)/obj/src/cmd/%.o $(B)/$(1)/libswerve.a
	@mkdir -p $$(@D)
	$$(CC) $$($(1)_CFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(eval $(call variant,release))
$(eval $(call variant,asan))

# Copy then rename, so a running bin/swerved does not block the update.
bin/%: $(B)/release/bin/%
	@mkdir -p bin
	cp $< $@.tmp && mv -f $@.tmp $@

# --- tests ------------------------------------------------------------------
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/asan/tests/%)
REPLAY_BINS := $(FUZZ_SRCS:fuzz/%.c=$(B)/asan/replay/%)

$(B)/asan/tests/%: $(B)/asan/obj/tests/unit/%.o $(B)/asan/libswerve.a
	@mkdir -p $(@D)
	$(CC) $(asan_CFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

$(B)/asan/replay/%: $(B)/asan/obj/fuzz/%.o $(B)/asan/obj/fuzz/replay_main.o $(B)/asan/libswerve.a
	@mkdir -p $(@D)
	$(CC) $(asan_CFLAGS) -o $@ $^ $(PKG_LIBS)

TEST_BINS := $(UNIT_BINS) $(REPLAY_BINS) \
             $(addprefix $(B)/asan/bin/,$(PROGS)) $(addprefix bin/,$(PROGS))

# The suites and lint run side by side (scripts/run-tests.sh). The build
# uses every core unless the caller chose a -j.
BUILD_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))
test: setup
	$(MAKE) $(BUILD_JOBS) $(TEST_BINS)
	B=$(B) bash scripts/run-tests.sh unit fuzz integration lint

unit: setup
	$(MAKE) $(UNIT_BINS)
	B=$(B) bash scripts/run-tests.sh unit

fuzz-replay: setup
	$(MAKE) $(REPLAY_BINS)
	B=$(B) bash scripts/run-tests.sh fuzz

integration: setup
	$(MAKE) $(addprefix $(B)/asan/bin/,$(PROGS))
	B=$(B) bash scripts/run-tests.sh integration

# --- run --------------------------------------------------------------------
# The embedded defaults plus an admin key made once in var/admin.key
# (examples/run.yaml): ./bin/swervectl -c examples/run.yaml status
run: setup all
	@mkdir -p var && test -s var/admin.key || \
	  (umask 077 && openssl rand -hex 24 > var/admin.key)
	./bin/swerved -c examples/run.yaml

demo: setup all
	/usr/bin/python3 scripts/demo.py

# --- fuzzing (clang, libFuzzer) ---------------------------------------------
# The library is compiled once with the fuzzer's coverage instrumentation
# (fuzzer-no-link) and linked into every target. As in the test tree, any
# sanitizer finding aborts (-fno-sanitize-recover=all), so a fuzzer stops at
# the first undefined behaviour instead of printing it and going on.
FUZZ_SAN    := address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer,$(FUZZ_SAN)
FUZZ_OBJ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,$(FUZZ_SAN)
fuzz: setup $(FUZZ_SRCS:fuzz/%.c=$(B)/fuzz/%)
$(B)/fuzz/obj/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -std=c17 -Wall -Wextra -Werror -Wno-unused-parameter \
		$(FUZZ_OBJ_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
$(B)/fuzz/libswerve.a: $(LIB_SRCS:%.c=$(B)/fuzz/obj/%.o)
	@rm -f $@
	ar rcs $@ $^
$(B)/fuzz/%: $(B)/fuzz/obj/fuzz/%.o $(B)/fuzz/libswerve.a
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $^ $(PKG_LIBS)

# Header dependencies: each object's .d file, written by -MMD -MP.
-include $(shell find $(B) -name '*.d' 2>/dev/null)

# --- benchmarks -------------------------------------------------------------
bench: setup all
	bash bench/run.sh

# --- housekeeping -----------------------------------------------------------
format:
	clang-format -i $(FORMAT_SRCS)

# lint: exits non-zero on any finding. clang-format checks FORMAT_SRCS;
# clang-tidy (the analyzer, see .clang-tidy) runs LINT_JOBS processes over
# LINT_SRCS with every warning an error; cppcheck runs last. A finding that
# is a false positive is justified where it stands, on one line:
# NOLINT(check): reason, or cppcheck-suppress id reason.
LINT_JOBS ?= 2
LINT_SRCS := $(LIB_SRCS) $(CMD_SRCS)
lint: setup
	@echo "lint: clang-format"
	@clang-format --dry-run -Werror $(FORMAT_SRCS)
	@echo "lint: clang-tidy, $(LINT_JOBS) processes"
	@printf '%s\n' $(LINT_SRCS) | xargs -P$(LINT_JOBS) -n4 bash -o pipefail -c \
	    'clang-tidy --quiet --warnings-as-errors="*" "$$@" -- \
	     $(CPPFLAGS) -std=c17 $(PKG_CFLAGS) 2>&1 | \
	     { grep -v "^[0-9]* warnings* generated\.$$" || true; }' clang-tidy
	@echo "lint: cppcheck"
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -D_GNU_SOURCE -Isrc \
		--include=/usr/include/x86_64-linux-gnu/sys/queue.h \
		$(LINT_SRCS)

# --- install ----------------------------------------------------------------
# swerved and swervectl (not swerve-mock: a test tool), their man pages and
# the configuration's, the systemd unit (its ExecStart rewritten to BINDIR)
# and the commented example configuration. /etc is left alone: a config
# is the operator's. DESTDIR is for packaging (a staging root).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/swerve
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL    ?= install
INST_PROGS := swerved swervectl
MAN8       := man/swerved.8 man/swervectl.8
MAN5       := man/swerve.yaml.5

install: $(addprefix bin/,$(INST_PROGS))
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(addprefix bin/,$(INST_PROGS)) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	sed 's#/usr/local/bin/#$(BINDIR)/#g' contrib/systemd/swerved.service \
	    > $(DESTDIR)$(UNITDIR)/swerved.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/swerved.service.tmp
	mv -f $(DESTDIR)$(UNITDIR)/swerved.service.tmp \
	    $(DESTDIR)$(UNITDIR)/swerved.service
	$(INSTALL) -m 0644 examples/swerve.yaml $(DESTDIR)$(DOCDIR)/swerve.yaml

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(INST_PROGS)) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	    $(DESTDIR)$(UNITDIR)/swerved.service $(DESTDIR)$(DOCDIR)/swerve.yaml

clean:
	rm -rf build bin
