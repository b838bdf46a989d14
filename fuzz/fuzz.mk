# libFuzzer builds of the parsers: `make fuzz` runs each target for
# FUZZ_SECONDS (default 60) seeded from ../shared/corpus, and keeps what it
# finds under build/fuzz/<target>/ (crash-*, leak-*, timeout-*).

CC       := clang
FUZZ_SECONDS ?= 60
SHARED   ?= ../shared
PKGS     := libmicrohttpd libcrypto sqlite3 libzip expat libsodium hiredis libcurl
FZ       := build/fuzz
CFLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=undefined -Isrc -Ifuzz -I$(FZ)/gen \
            $(shell pkg-config --cflags $(PKGS))
LIBS     := $(shell pkg-config --libs $(PKGS)) -lpthread -lm
LIB_SRC  := $(sort $(shell find src -name '*.c' ! -path 'src/cli/*'))
OBJS     := $(patsubst %.c,$(FZ)/obj/%.o,$(LIB_SRC)) $(FZ)/obj/web_assets.o
TARGETS  ?= csv xlsx xls detect multipart json base64 journal

.PHONY: all run
.SECONDARY:
all: run

$(FZ)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(FZ)/gen/web_assets.c: $(wildcard web/*)
	@mkdir -p $(dir $@)
	scripts/embed.sh $@ $(sort $(wildcard web/*))

$(FZ)/obj/web_assets.o: $(FZ)/gen/web_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(FZ)/fuzz_%: fuzz/fuzz_%.c $(OBJS)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(OBJS) $(LIBS)

# Seeds: corpus files of the matching kind, plus tests/fixtures/<kind>.
$(FZ)/seeds/%:
	@mkdir -p $@
	@fuzz/seed.sh $* $(SHARED) $@

run: $(addprefix $(FZ)/fuzz_,$(TARGETS)) $(addprefix $(FZ)/seeds/,$(TARGETS))
	@bad=0; for t in $(TARGETS); do \
	    mkdir -p $(FZ)/$$t/work; \
	    echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	    if (cd $(FZ)/$$t && ASAN_OPTIONS=detect_leaks=1 ../fuzz_$$t \
	        -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -max_len=1048576 -print_final_stats=1 work ../seeds/$$t >log 2>&1); \
	    then tail -n 6 $(FZ)/$$t/log; \
	    else bad=1; grep -E 'ERROR|runtime error|SUMMARY|Test unit written' $(FZ)/$$t/log; fi; \
	done; exit $$bad

# Header dependencies: an object built against an older header would give
# false crashes.
-include $(shell find $(FZ)/obj -name '*.d' 2>/dev/null)
