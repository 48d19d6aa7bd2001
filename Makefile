# gridrest -- one non-recursive Makefile. Each build flavour has its own
# directory (build/, build/asan/) so changing flags never mixes objects.
#   make            build every family and gridrest-db into build/
#   make run        install what is missing, build, init, serve on :8080/:8443
#   make install    the programs and their data under PREFIX (/usr/local)
#   make check      install what is missing, build, run every test (prove)
#   make asan       the same tests with ASan+UBSan backends
#   make lint       clang-format check, the smoke tests' assertions
#                   (scripts/lint-smoke), the banned-function grep and
#                   no tracker numbers in the tree
#   make bench      every benchmark in bench/ (long: 1M-record catalogues)
#   make fuzz       libFuzzer targets (clang, ASan+UBSan) into build/fuzz/fuzz/
#   make fuzz-run   run each for FUZZ_SECONDS (20), one at a time

B        ?= build
CC       ?= cc
CFLAGS   ?= -O2 -g
CPPFLAGS += -Iinclude -Idb -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -MMD -MP
# Warnings, every one an error (-Werror): a warning is fixed, not lived with.
#   -Wall -Wextra         the compiler's usual and extra checks
#   -Wshadow              a local that hides another name reads as the other
#   -Wstrict-prototypes   "f()" declares no parameter list in C: calls go
#                         unchecked; "f(void)" says none
#   -Wmissing-prototypes  a global function without a header declaration is
#                         dead, should be static, or its header drifted
#   -Wpointer-arith       arithmetic on void * is a GNU extension with size 1
#   -Wcast-qual           a cast that drops const lets a write reach data
#                         the owner (Jansson's getters, the store) lent
#   -Wformat=2            printf formats checked, the non-literal ones too:
#                         every format is a literal or goes through a
#                         function declared format(printf, ...)
#   -Wvla                 an array sized at run time from a client's input
#                         overruns the stack instead of failing
#   -fno-common           one global defined in two files is a link error,
#                         not silently merged
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 \
            -Wvla -fno-common
LDLIBS   += -ljansson -lfcgi -ldb-5.3 -lgnutls -lcurl
LDLIBS   += -larchive # jobs' sandboxes (tar.bz2 in and out)
LDLIBS   += -lz # the mover's adler32 checksums
# sanitizers (make asan, make fuzz): a report ends the process, so that a
# test fails on it (-fno-sanitize-recover); frame pointers give whole stacks
SAN       = -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
PROVE    ?= prove
PROVEFLAGS ?= -j2

LIB_SRC  := $(filter-out db/admin.c,$(wildcard common/*.c db/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
FAMILIES := $(patsubst cgi-bin/%.c,$(B)/cgi-bin/%.fcgi,$(wildcard cgi-bin/*.c))
UNIT     := $(patsubst %.c,$(B)/%,$(wildcard tests/unit/test_*.c))
BENCHBIN := $(B)/bench/hello.fcgi $(B)/bench/expr_bench $(B)/bench/xfer_copy
# fuzz targets (tests/fuzz/<t>.c): make check replays each one's seed
# corpus through a plain build with replay.c's main; make fuzz links them
# with libFuzzer
FUZZ_T   := $(patsubst tests/fuzz/%.c,%,$(filter-out tests/fuzz/replay.c,\
            $(wildcard tests/fuzz/*.c)))
REPLAY   := $(FUZZ_T:%=$(B)/tests/fuzz/%)
DEPS_OK  := $(B)/.deps-ok

all: $(FAMILIES) $(B)/gridrest-db $(BENCHBIN)

# Where make install puts things. The programs find their data files
# (share/: page templates) through GRIDREST_DATADIR, else beside them or up
# to two directories above (the build tree: $(B)/share/gridrest, copied
# here), else in DATADIR, compiled in (include/template.h).
PREFIX     ?= /usr/local
LIBEXECDIR ?= $(PREFIX)/lib/gridrest
DATADIR    ?= $(PREFIX)/share/gridrest
DATA       := $(patsubst share/%,$(B)/share/gridrest/%,$(wildcard share/*))
all: $(DATA)
$(B)/share/gridrest/%: share/%
	@mkdir -p $(@D)
	cp $< $@
$(B)/common/template.o: CPPFLAGS += -DGR_DATADIR='"$(DATADIR)"'

# Install missing Debian packages once per build directory.
$(DEPS_OK): scripts/install-deps
	@scripts/install-deps
	@mkdir -p $(@D) && touch $@

$(B)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) -std=c11 $(CPPFLAGS) $(WARN) -fstack-protector-strong $(CFLAGS) -c -o $@ $<

$(B)/libgridrest.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(B)/cgi-bin/%.fcgi: $(B)/cgi-bin/%.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/gridrest-db: $(B)/db/admin.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/hello.fcgi: $(B)/bench/hello.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lfcgi

$(B)/bench/expr_bench: $(B)/bench/expr.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/xfer_copy: $(B)/bench/xfer.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# GR_TEST_BUILD: where the tests' temporary directories go when GR_BUILD
# does not say (tests/tmpdir.h)
$(B)/tests/%.o: CPPFLAGS += -Itests -Icommon \
    -DGR_TEST_BUILD='"$(abspath $(B))"'
$(B)/tests/unit/%: $(B)/tests/unit/%.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(B)/tests/fuzz/%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay.o \
    $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/fuzz/%: $(B)/tests/fuzz/%.o $(B)/libgridrest.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# the local backend's supervisor, exec'd detached: a job outlives the
# backend that submitted it
all: $(B)/gridrest-drm-supervisor
$(B)/gridrest-drm-supervisor: $(B)/tools/drm-supervisor.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the mover of the rules' transfer requests, exec'd on demand
all: $(B)/gridrest-mover
$(B)/gridrest-mover: $(B)/tools/mover.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the reaper of the replicas no rule wants, exec'd on demand
all: $(B)/gridrest-reaper
$(B)/gridrest-reaper: $(B)/tools/reaper.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the rule evaluator, started on demand by the rses backends
all: $(B)/gridrest-rules
$(B)/gridrest-rules: $(B)/tools/rules.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# the slurm backend's batch-script interpreter (runs on the nodes)
all: $(B)/gridrest-drm-exec
# (it copies the jobs' data on the node: stage.c, xfer.c, libcurl)
$(B)/gridrest-drm-exec: $(B)/tools/drm-exec.o $(B)/libgridrest.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

run: all
	scripts/gridrest run

# The programs as the build tree holds them (the tools beside cgi-bin/,
# where the families look for them) under LIBEXECDIR, the data files
# under DATADIR; DESTDIR for a staged install. lighttpd.conf then runs
# them with GRIDREST_BINDIR=$(LIBEXECDIR)/cgi-bin.
install: all
	install -d $(DESTDIR)$(LIBEXECDIR)/cgi-bin $(DESTDIR)$(DATADIR)
	install -m 755 $(FAMILIES) $(DESTDIR)$(LIBEXECDIR)/cgi-bin/
	install -m 755 $(B)/gridrest-db $(B)/gridrest-drm-supervisor \
	    $(B)/gridrest-drm-exec $(B)/gridrest-mover $(B)/gridrest-rules \
	    $(B)/gridrest-reaper $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 $(DATA) $(DESTDIR)$(DATADIR)/

# The DRM tests also run against a one-node Slurm, started for
# the suite under the build directory and stopped after it.
SLURM_HOME = $(abspath $(B))/slurm
SLURM_ENV  = GRIDREST_SLURM_HOME=$(SLURM_HOME) \
             GRIDREST_DRM_SLURM_CONF=$(SLURM_HOME)/slurm.conf

check: all $(UNIT) $(REPLAY)
	@$(SLURM_ENV) scripts/slurm-local start
	$(SLURM_ENV) GR_BUILD=$(B) $(PROVE) $(PROVEFLAGS) $(UNIT) $(REPLAY) \
	    tests/smoke/*.t; \
	    rc=$$?; $(SLURM_ENV) scripts/slurm-local stop; exit $$rc

asan:
	$(MAKE) B=build/asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" \
	    GR_ASAN=1 check

# Coverage-guided fuzzing: clang's libFuzzer with ASan+UBSan,
# every target in build/fuzz/fuzz/; clang and its runtime are installed
# for this only (scripts/install-deps --fuzz), not for make check.
FUZZ_SECONDS ?= 20
FUZZ_TARGETS ?= $(FUZZ_T)
FUZZ_OPTS    ?=
fuzz:
	@scripts/install-deps --fuzz
	$(MAKE) B=build/fuzz CC=clang \
	    CFLAGS="-O1 -g $(SAN) -fsanitize=fuzzer-no-link" \
	    LDFLAGS="$(SAN)" $(FUZZ_T:%=build/fuzz/fuzz/%)

# Each target for FUZZ_SECONDS, one after the other (one core): new inputs
# go to build/fuzz/corpus/<t>, the seeds in tests/fuzz/<t>/corpus are
# read; a finding stops the run and is left in build/fuzz/artifacts/<t>/.
fuzz-run: fuzz
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p build/fuzz/corpus/$$t build/fuzz/artifacts/$$t && \
	    echo "fuzz-run: $$t, $(FUZZ_SECONDS) s" && \
	    build/fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 $(FUZZ_OPTS) \
	        -artifact_prefix=build/fuzz/artifacts/$$t/ \
	        build/fuzz/corpus/$$t tests/fuzz/$$t/corpus || exit 1; \
	done

lint: | $(DEPS_OK)
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')
	scripts/lint-smoke
	@! git grep -n -E '\<(sprintf|vsprintf|strcpy|strcat|strncat|gets|atoi|atol|strtok)\(' \
	    -- '*.c' '*.h' || { echo 'banned function (see STYLE 2.3)'; exit 1; }
	@! git grep -n -i -E '\<issues? ?#?[0-9]|\<issue-[0-9]' -- . ':!tests/fuzz' || \
	    { echo 'a tracker number: say why instead (README, Contributing)'; \
	      exit 1; }

bench: all
	bench/ping.sh
	bench/replicas.sh
	bench/dids.sh
	bench/filecatalogue.sh
	bench/jobs.sh
	bench/tasks.sh
	bench/transfers.sh

clean:
	rm -rf build

.PHONY: all run install check asan lint bench clean fuzz fuzz-run
.SECONDARY:
-include $(shell find $(B) -name '*.d' -type f 2>/dev/null)
