# socc build.  `make run` and `make test` are the two commands a new user
# needs; everything else is for developers.

CC      ?= gcc
PKGS    := libmicrohttpd libcrypto sqlite3 libzip expat libsodium hiredis libcurl
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion \
           -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CSTD    := -std=c11 -D_GNU_SOURCE
OPT     ?= -O2 -g
SOCC_LISTEN ?= 127.0.0.1:8080
SOCC_DATA_DIR ?= ./data

LIB_SRC := $(sort $(shell find src -name '*.c' ! -path 'src/cli/main.c'))
WEB_SRC := $(sort $(wildcard web/*))
UNIT_SRC := $(sort $(shell find tests/unit -name 'test_*.c' 2>/dev/null))
E2E_SRC := $(sort $(wildcard tests/e2e/test_*.c))

# Two trees: build/rel (optimised, what `make run` starts) and build/san
# (ASan + UBSan, what `make test` runs).
REL := build/rel
SAN := build/san
# The test build treats a warning as a bug (STYLE.md); the release build of
# `make run` only reports them, so a newer compiler cannot stop a user.
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined -Werror

.PHONY: all run test deps deps-test fuzz bench clean check-style cppcheck

all: $(REL)/socc

deps:
	@scripts/deps.sh run
deps-test:
	@scripts/deps.sh test
	@scripts/js_deps.sh

# pkg-config flags are computed lazily so that `make run` on a bare machine
# can install the packages first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lpthread -lm

define tree
$(1)/obj/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CSTD) $$(WARN) $(2) $$(PKG_CFLAGS) -Isrc -I$(1)/gen -MMD -MP -c $$< -o $$@

$(1)/gen/web_assets.c: $(WEB_SRC) scripts/embed.sh
	@mkdir -p $$(dir $$@)
	scripts/embed.sh $$@ $(WEB_SRC)

$(1)/obj/gen/web_assets.o: $(1)/gen/web_assets.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CSTD) $(2) -Isrc -c $$< -o $$@

$(1)/libsocc.a: $(patsubst %.c,$(1)/obj/%.o,$(LIB_SRC)) $(1)/obj/gen/web_assets.o
	@rm -f $$@
	ar rcs $$@ $$^

$(1)/socc: $(1)/obj/src/cli/main.o $(1)/libsocc.a
	$$(CC) $(2) -o $$@ $$^ $$(PKG_LIBS)
endef

$(eval $(call tree,$(REL),$(OPT)))
$(eval $(call tree,$(SAN),$(SANFLAGS)))

# Unit tests: one binary per tests/unit/**/test_*.c, linked with the library.
UNIT_BIN := $(patsubst tests/%.c,$(SAN)/tests/%,$(UNIT_SRC))
E2E_BIN  := $(patsubst tests/%.c,$(SAN)/tests/%,$(E2E_SRC))

$(SAN)/tests/unit/%: tests/unit/%.c $(SAN)/libsocc.a tests/support/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -Wno-missing-prototypes $(SANFLAGS) $(PKG_CFLAGS) -Isrc -Itests/support \
	    -o $@ $< $(SAN)/libsocc.a $(PKG_LIBS) -lcmocka

$(SAN)/tests/e2e/%: tests/e2e/%.c $(wildcard tests/e2e/*.h) tests/support/*.h $(SAN)/libsocc.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -Wno-missing-prototypes $(SANFLAGS) $(PKG_CFLAGS) -Isrc -Itests/support -Itests/e2e \
	    -o $@ $< $(SAN)/libsocc.a $(PKG_LIBS) -lcmocka -lcurl

run: deps
	@$(MAKE) --no-print-directory $(REL)/socc
	@mkdir -p $(SOCC_DATA_DIR)
	SOCC_LISTEN=$(SOCC_LISTEN) SOCC_DATA_DIR=$(SOCC_DATA_DIR) $(REL)/socc serve

test: deps-test
	@$(MAKE) --no-print-directory $(SAN)/socc $(UNIT_BIN) $(E2E_BIN)
	@scripts/run_tests.sh $(SAN) $(UNIT_BIN) $(E2E_BIN)

fuzz:
	@scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory -f fuzz/fuzz.mk FUZZ_SECONDS=$${FUZZ_SECONDS:-60} $${FUZZ_TARGETS:+TARGETS="$$FUZZ_TARGETS"}

bench: $(REL)/socc
	@bench/run.sh

cppcheck:
	cppcheck --quiet --enable=warning,portability,performance --std=c11 \
	    --suppress=missingIncludeSystem -Isrc src

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
