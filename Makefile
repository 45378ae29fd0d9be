# vigil — build, test, check, bench.
#
#   make          build build/vigil (installs missing Debian packages first)
#   make test     build and run every test; ends with "N passed, N failed"
#   make check    the test suite under ASan + UBSan (and LeakSanitizer), in build-asan/
#   make demo     run pipelines/payments over its recorded log
#   make bench    benchmarks, written to docs/BENCHMARKS.md
#   make fuzz     run the libFuzzer targets for FUZZ_SECONDS each (default 60)
#   make soak     exactly-once through SOAK (default 500) random kill -9 scenarios (~20 min)
#   make docs     regenerate the generated reference pages in docs/
#   make format   clang-format every source file
#   make clean    remove every build directory
#
# Sources are found by wildcard: a new engine/*.c, sql/*.c or udf/*.c goes into
# libvigil.a, a new tests/unit/test_*.c becomes a unit-test binary, a new
# tests/fuzz/fuzz_*.c becomes a fuzz target and a corpus-replay binary, and any
# other tests/DIR/NAME.c (not bench) becomes $(BUILD)/DIR/NAME, all without
# editing this file. scripts/run-tests says what `make test` runs.

ifeq ($(origin CC),default)
CC      := gcc
endif
FUZZ_CC ?= clang
BUILD   ?= build
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -Wall -Wextra -Wmissing-prototypes -Werror
CPPFLAGS += -I. -D_GNU_SOURCE
ALL_CFLAGS = -std=c11 $(CFLAGS) $(WARN) $(CPPFLAGS) $(EXTRA_CFLAGS)
DEPFLAGS = -MMD -MP
LIBS    := -lsqlite3 -lrdkafka -lyaml -lpcre2-8 -lmicrohttpd -ljansson -lcrypto -lm -lpthread

SANITIZE     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_BUILD   := build-asan
FUZZ_BUILD   := build-fuzz
FUZZ_SECONDS ?= 60

LIB_SRC   := $(filter-out engine/main.c,$(wildcard engine/*.c sql/*.c udf/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
REPLAY_BIN := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)
# Test programs of other suites (tests/fault/*.c, ...): tests/DIR/NAME.c
# becomes $(BUILD)/DIR/NAME, for that suite's tests/DIR/run-*.sh to run.
PROG_SRC  := $(filter-out tests/unit/% tests/fuzz/% tests/bench/%,$(wildcard tests/*/*.c))
PROG_BIN  := $(PROG_SRC:tests/%.c=$(BUILD)/%)
DEPS_STAMP := $(BUILD)/.deps-core

.PHONY: all unit test check demo bench fuzz soak docs format clean deps
.DELETE_ON_ERROR:

all: $(BUILD)/vigil

# ---- dependencies: Debian packages, checked once per build directory ----

deps: $(DEPS_STAMP)

$(DEPS_STAMP): scripts/deps
	@sh scripts/deps core
	@mkdir -p $(dir $@)
	@touch $@

# ---- the library, the binary, the tests ----

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libvigil.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vigil: $(BUILD)/engine/main.o $(BUILD)/libvigil.a
	$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvigil.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $@.d -MT $@ $< $(BUILD)/libvigil.a $(LIBS) -o $@

# Each fuzz target also builds, with gcc, as a program that runs the target
# over the files named on its command line: make test replays the corpora.
$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c $(BUILD)/libvigil.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $@.d -MT $@ -DVG_FUZZ_REPLAY $< $(BUILD)/libvigil.a $(LIBS) -o $@

$(PROG_BIN): $(BUILD)/%: tests/%.c $(BUILD)/libvigil.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -MF $@.d -MT $@ $< $(BUILD)/libvigil.a $(LIBS) -o $@

unit: $(UNIT_BIN)

test: $(BUILD)/vigil $(UNIT_BIN) $(REPLAY_BIN) $(PROG_BIN)
	@sh scripts/deps test
	@BUILD=$(BUILD) bash scripts/run-tests

# The same suite, built with sanitizers into its own directory.
check:
	@$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT=-O1 EXTRA_CFLAGS='$(SANITIZE)' \
	    $(ASAN_BUILD)/vigil unit $(FUZZ_NAMES:%=$(ASAN_BUILD)/fuzz/replay_%) \
	    $(PROG_SRC:tests/%.c=$(ASAN_BUILD)/%)
	@sh scripts/deps test
	@BUILD=$(ASAN_BUILD) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 bash scripts/run-tests

# ---- demo, bench ----

DEMO := pipelines/payments

demo: $(BUILD)/vigil
	@BUILD=$(BUILD) sh scripts/demo

bench: $(BUILD)/vigil
	@sh scripts/deps bench
	BUILD=$(BUILD) bash scripts/bench

# ---- fuzzing: clang + libFuzzer, library compiled with clang too ----

FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)

$(FUZZ_BUILD)/.deps-fuzz: scripts/deps
	@sh scripts/deps fuzz
	@mkdir -p $(dir $@)
	@touch $@

$(FUZZ_BUILD)/%.o: %.c | $(FUZZ_BUILD)/.deps-fuzz
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined $(WARN) \
	    $(CPPFLAGS) $(DEPFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libvigil.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libvigil.a
	$(FUZZ_CC) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined $(WARN) $(CPPFLAGS) \
	    $(DEPFLAGS) -MF $@.d -MT $@ $< $(FUZZ_BUILD)/libvigil.a $(LIBS) -o $@

# New inputs go to $(FUZZ_BUILD)/corpus/NAME (the first corpus directory is
# the one libFuzzer writes to); the committed corpus is only read. Crashes
# are written to $(FUZZ_BUILD)/artifacts/.
fuzz: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
	@set -e; for n in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$n $(FUZZ_BUILD)/artifacts tests/fuzz/corpus/$$n; \
	    echo "== fuzz_$$n for $(FUZZ_SECONDS)s"; \
	    $(FUZZ_BUILD)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$n- \
	        $(FUZZ_BUILD)/corpus/$$n tests/fuzz/corpus/$$n; \
	done

# tests/fault/run-crash.sh in its long form: SOAK seeded crash scenarios
# (vigil killed at random points, restarted, its output checked row for row
# by an independent consumer), beside the dozens `make test` runs.
SOAK ?= 500
soak: $(BUILD)/vigil
	@sh scripts/deps test
	@BUILD=$(BUILD) bash tests/fault/run-crash.sh --soak $(SOAK)

# ---- generated docs, formatting, cleaning ----

docs: $(BUILD)/tests/test_config $(BUILD)/vigil
	$(BUILD)/tests/test_config --markdown > docs/pipeline-yaml.md.tmp
	mv docs/pipeline-yaml.md.tmp docs/pipeline-yaml.md
	@if $(BUILD)/vigil functions --markdown > docs/functions.md.tmp; then \
	    mv docs/functions.md.tmp docs/functions.md; \
	else \
	    rm -f docs/functions.md.tmp; \
	    echo "make docs: 'vigil functions --markdown' failed; docs/functions.md kept" >&2; \
	    exit 1; \
	fi

format:
	@sh scripts/deps format
	clang-format -i $(wildcard engine/*.[ch] sql/*.[ch] udf/*.[ch] tests/*/*.[ch])

clean:
	rm -rf $(BUILD) build-*

DEP_FILES := $(LIB_OBJ:.o=.d) $(BUILD)/engine/main.d $(UNIT_BIN:=.d) $(REPLAY_BIN:=.d) $(PROG_BIN:=.d) \
             $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%.d)
-include $(DEP_FILES)
