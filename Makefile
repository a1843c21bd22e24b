# lanchat: a plain Makefile with pkg-config (Redis and Lua do without
# autotools).  Targets:
#   make            build lanchatd, lanchat and lanchat-bench
#   make run        install missing Debian packages, build, start the server
#   make test       install, build, run every test (unit, wire, sanitizers)
#   make asan       the same binaries with ASan+UBSan, in build-asan/
#   make test-asan  the whole suite against the ASan build
#   make fuzz       run each libFuzzer harness for FUZZ_SECONDS
#   make check      unit tests only (no installs)
#   make bench      a short run of every lanchat-bench scenario against
#                   lanchatd (bench/compare --quick); bench/compare alone
#                   measures lanchatd against other servers (docs/perf.md)
#   make wire, make tui   the wire tests, the terminal client's tests
#   make web        the web client's browser tests (tests/web)
#   make web-shots  the same, saving docs/screenshots/*.png

CC	?= cc
PKGS	 = libuv openssl sqlite3 libsodium libutf8proc libqrencode
# DNS-SD through avahi-daemon is built in when libavahi-client is there
# (scripts/deps installs it); without it the server still builds.
AVAHI	:= $(shell pkg-config --exists avahi-client 2>/dev/null && \
	   echo avahi-client)
ifneq ($(AVAHI),)
PKGS	+= $(AVAHI)
DEFS	+= -DHAVE_AVAHI
endif
CLIENT_PKGS = ncursesw openssl libutf8proc
BUILD	?= build
OPT	?= -O2
WERROR	?=
WARN	 = -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	   -Wwrite-strings -Wformat=2 -Wpointer-arith $(WERROR)
CFLAGS	+= -std=gnu11 -g $(OPT) $(WARN) -D_GNU_SOURCE $(DEFS) \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -iquote $(BUILD) -iquote src
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lwslay -lhttp_parser \
	   -lpthread -lm
SAN	?=
CFLAGS	+= $(SAN)
LDFLAGS	+= $(SAN)

SRCS	 = $(wildcard src/*.c)
OBJS	 = $(SRCS:src/%.c=$(BUILD)/src/%.o) $(BUILD)/webfiles.o
LIBOBJS	 = $(filter-out $(BUILD)/src/main.o,$(OBJS))
GEN	 = $(BUILD)/unicode_scripts.h
WEBDIR	?= $(if $(wildcard web/dist/index.html),web/dist,web/public)
WEBSRC	 = $(shell find $(WEBDIR) -type f 2>/dev/null)
SCRIPTS	?= /usr/share/unicode/Scripts.txt

BENCH_SRCS = $(wildcard bench/*.c)
BENCH_OBJS = $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%.o)

# lanchat, the terminal client: client/*.c, linked with the pure modules
# it shares with the server (msg.c, casemap.c, buf.c, discproto.c, ...)
# from liblanchat.a.
CLIENT_SRCS = $(wildcard client/*.c)
CLIENT_OBJS = $(CLIENT_SRCS:client/%.c=$(BUILD)/client/%.o)

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

PYTHON	?= /usr/bin/python3
FUZZ_SECONDS ?= 60

.PHONY: all run test check asan test-asan fuzz deps clean unit wire tui web \
	web-shots bench print-ldlibs

all: $(BUILD)/lanchatd $(BUILD)/lanchat $(BUILD)/lanchat-bench

$(GEN): scripts/gen-scripts
	@mkdir -p $(@D)
	$(PYTHON) scripts/gen-scripts $(SCRIPTS) > $@.tmp && mv $@.tmp $@

$(BUILD)/webfiles.c: scripts/embed-web $(WEBSRC)
	@mkdir -p $(@D)
	$(PYTHON) scripts/embed-web $(WEBDIR) > $@.tmp && mv $@.tmp $@

$(BUILD)/webfiles.o: $(BUILD)/webfiles.c src/webfiles.h
	$(CC) $(CFLAGS) -c -o $@ $<

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

$(BUILD)/client/%.o: client/%.c $(GEN) $(wildcard client/*.h) \
    $(wildcard src/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(filter-out -D_XOPEN_SOURCE%,$(shell pkg-config \
	    --cflags $(CLIENT_PKGS) 2>/dev/null)) -iquote client -c -o $@ $<

$(BUILD)/lanchat: $(CLIENT_OBJS) $(BUILD)/liblanchat.a
	$(CC) $(LDFLAGS) -o $@ $(CLIENT_OBJS) $(BUILD)/liblanchat.a \
	    $(shell pkg-config --libs $(CLIENT_PKGS) 2>/dev/null) -lpthread

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

tui: all
	LANCHATD=$(abspath $(BUILD)/lanchatd) LANCHAT_BUILD=$(abspath $(BUILD)) \
	    $(PYTHON) -m pytest -q -rs tests/tui $(PYTEST_ARGS)

web: all
	LANCHATD=$(abspath $(BUILD)/lanchatd) tests/web/run.sh

web-shots: all
	LANCHATD=$(abspath $(BUILD)/lanchatd) \
	    WEB_SHOTS=$(abspath docs/screenshots) tests/web/run.sh

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

# The libraries lanchatd links with (scripts/fuzz links its harnesses
# that hold the whole server with them).
print-ldlibs:
	@echo $(LDLIBS)

bench: all
	$(PYTHON) bench/compare --quick --build $(BUILD)

clean:
	rm -rf build build-asan build-fuzz

# The long runs of the battery (docs/reliability.md): T40's kill -9
# cycles (SOAK_KILLS of them, each counting echoed-but-missing messages),
# T50's soak (SOAK_MINUTES with 300 clients, sampled to
# build/soak/soak.csv and plotted to docs/soak.png) and T16's 30 minutes
# over a lossy link between namespaces.  Not part of make test.
SOAK_MINUTES ?= 30
SOAK_KILLS ?= 200
.PHONY: soak
soak: all
	LANCHATD=$(abspath $(BUILD)/lanchatd) $(PYTHON) scripts/soak --kill9 $(SOAK_KILLS)
	LANCHATD=$(abspath $(BUILD)/lanchatd) $(PYTHON) scripts/soak --minutes $(SOAK_MINUTES)
	LANCHAT_LONG=1 LANCHATD=$(abspath $(BUILD)/lanchatd) $(PYTHON) -m pytest \
	    -q -rs -p no:cacheprovider tests/irc/test_battery_a.py -k t16_lossy_lan_long
