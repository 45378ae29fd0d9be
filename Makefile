# vigil — build, test, check, bench.
#
#   make          build build/vigil (installs missing Debian packages first)
#   make test     build and run every test; ends with "N passed, N failed"
#   make check    the test suite under ASan + UBSan (and LeakSanitizer)
#   make demo     run pipelines/payments over its recorded log
#   make bench    benchmarks, written to docs/BENCHMARKS.md
#   make fuzz     run the libFuzzer targets for a while
#   make format   clang-format every source file

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -Wall -Wextra -Wmissing-prototypes -Werror
CPPFLAGS += -I. -D_GNU_SOURCE
ALL_CFLAGS = -std=c11 $(CFLAGS) $(WARN) $(CPPFLAGS) $(EXTRA_CFLAGS)
LIBS    := -lsqlite3 -lrdkafka -lyaml -lpcre2-8 -lmicrohttpd -ljansson -lcrypto -lm -lpthread

LIB_SRC  := $(filter-out engine/main.c,$(wildcard engine/*.c sql/*.c udf/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test check demo bench fuzz format clean deps

all: $(BUILD)/vigil

$(BUILD)/%.o: %.c $(wildcard engine/*.h sql/*.h udf/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libvigil.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vigil: $(BUILD)/engine/main.o $(BUILD)/libvigil.a
	$(CC) $(ALL_CFLAGS) $^ $(LIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(BUILD)/libvigil.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libvigil.a $(LIBS) -o $@

unit: $(UNIT_BIN)

test: $(BUILD)/vigil $(UNIT_BIN)
	@BUILD=$(BUILD) sh scripts/run-tests

clean:
	rm -rf $(BUILD) build-*
