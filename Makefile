# lanchat: a plain Makefile with pkg-config (Redis and Lua do without
# autotools).  Targets:
#   make            build lanchatd (and, as they land, lanchat, lanchat-bench)
#   make run        install missing Debian packages, build, start the server
#   make test       install, build, run every test (unit, wire, sanitizers)
#   make asan       the same binaries with ASan+UBSan, in build-asan/
#   make test-asan  the whole suite against the ASan build
#   make fuzz       run each libFuzzer harness for FUZZ_SECONDS
#   make check      unit tests only (no installs)
#   make bench      a short run of every lanchat-bench scenario against
#                   lanchatd (bench/compare --quick); bench/compare alone
#                   measures lanchatd against other servers (docs/perf.md)

CC	?= cc
PKGS	 = libuv openssl sqlite3 libsodium libutf8proc
BUILD	?= build
OPT	?= -O2
WERROR	?=
WARN	 = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	   -Wwrite-strings -Wformat=2 -Wpointer-arith $(WERROR)
CFLAGS	+= -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -iquote $(BUILD) -iquote src
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lhttp_parser \
	   -lpthread -lm
SAN	?=
CFLAGS	+= $(SAN)
LDFLAGS	+= $(SAN)

SRCS	 = $(wildcard src/*.c)
OBJS	 = $(SRCS:src/%.c=$(BUILD)/src/%.o)
LIBOBJS	 = $(filter-out $(BUILD)/src/main.o,$(OBJS))
GEN	 = $(BUILD)/unicode_scripts.h
SCRIPTS	?= /usr/share/unicode/Scripts.txt

BENCH_SRCS = $(wildcard bench/*.c)
BENCH_OBJS = $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%.o)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

PYTHON	?= /usr/bin/python3
FUZZ_SECONDS ?= 60

.PHONY: all run test check asan test-asan fuzz deps clean unit wire bench

all: $(BUILD)/lanchatd $(BUILD)/lanchat-bench

$(GEN): scripts/gen-scripts
	@mkdir -p $(@D)
	$(PYTHON) scripts/gen-scripts $(SCRIPTS) > $@.tmp && mv $@.tmp $@

$(BUILD)/src/%.o: src/%.c $(GEN) $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/lanchatd: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/bench/%.o: bench/%.c $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/lanchat-bench: $(BENCH_OBJS)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJS) $(LDLIBS)

$(BUILD)/liblanchat.a: $(LIBOBJS)
	rm -f $@
	ar rcs $@ $(LIBOBJS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/liblanchat.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/liblanchat.a $(LDLIBS) -lcmocka

deps:
	@scripts/deps

run: deps all
	$(BUILD)/lanchatd $(ARGS)

check unit: $(UNIT_BINS)
	@scripts/run-unit $(UNIT_BINS)

wire: all
	LANCHATD=$(abspath $(BUILD)/lanchatd) $(PYTHON) -m pytest -q tests/irc $(PYTEST_ARGS)

test: deps
	@scripts/test-all

asan:
	$(MAKE) BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    all $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BINS))

test-asan: deps
	@ASAN=1 scripts/test-all

fuzz:
	@scripts/fuzz $(FUZZ_SECONDS)

bench: all
	$(PYTHON) bench/compare --quick --build $(BUILD)

clean:
	rm -rf build build-asan build-fuzz
