# fuzz/: libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined).
#   make fuzz                       build the harnesses into build/fuzz/
#   make fuzz-run FUZZ_SECONDS=N    fuzz each harness N seconds (FUZZ_JOBS at once, default 2)
#   make check-fuzz                 replay fuzz/corpus and fuzz/regressions through each harness
#   make fuzz-ci                    check-fuzz, then each harness FUZZ_CI_SECONDS (default 60)
#   make fuzz-coverage              line/branch coverage of libmqttparse/src over the corpora
#   make fuzz-corpus                regenerate fuzz/corpus from the vectors (fuzz/gen-corpus.py)
#   make fuzz-merge                 fold the coverage-adding inputs of the working corpora into fuzz/corpus
# fuzz_diff_haproxy needs HAProxy's src/mqtt.c: HAPROXY_SRC=<tree>, else the tree
# scripts/fetch-haproxy.sh unpacked under build/ (it is run when none is there);
# FUZZ_NO_HAPROXY=1 skips that harness. See fuzz/README.md.

FUZZ_DIR      := $(TOP)/fuzz
FUZZ_OUT      := $(BUILD)/fuzz
FUZZ_CC       ?= clang-14
FUZZ_PROFDATA ?= llvm-profdata-14
FUZZ_COV      ?= llvm-cov-14
FUZZ_SECONDS  ?= 60
FUZZ_CI_SECONDS ?= 60
FUZZ_JOBS     ?= 2
FUZZ_MAX_LEN  ?= 4096
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   := -std=c99 -g -O1 -Wall -Wextra -Werror $(FUZZ_SAN) -I$(LIB_INC) -I$(FUZZ_DIR)
FUZZ_HARNESSES := fuzz_decode fuzz_split fuzz_prefix fuzz_sticky fuzz_roundtrip fuzz_rewrite
# The differential harness needs a HAProxy tree (fetched when absent);
# FUZZ_NO_HAPROXY=1 leaves it out, e.g. on a machine without the archive.
ifneq ($(FUZZ_NO_HAPROXY),1)
FUZZ_HARNESSES += fuzz_diff_haproxy
endif
FUZZ_BINS     := $(addprefix $(FUZZ_OUT)/,$(FUZZ_HARNESSES))
FUZZ_LIB_OBJS := $(patsubst $(LIB_DIR)/src/%.c,$(FUZZ_OUT)/obj/lib/%.o,$(LIB_SRCS))
FUZZ_COMMON   := $(FUZZ_OUT)/obj/fuzz_common.o $(FUZZ_OUT)/obj/fuzz_enc.o
FUZZ_HDRS     := $(wildcard $(FUZZ_DIR)/*.h) $(LIB_HDRS)

# A HAProxy tree: given, or the one fetch-haproxy.sh left under build/.
# (A variable of its own: setting HAPROXY_SRC here would switch `make haproxy`
# to the "user's tree" build.)
FUZZ_HAPROXY_SRC = $(or $(HAPROXY_SRC),$(patsubst %/src/mqtt.c,%,$(firstword $(wildcard $(BUILD)/haproxy-3.0/haproxy-*/src/mqtt.c))))

.PHONY: fuzz fuzz-run check-fuzz fuzz-ci fuzz-coverage fuzz-corpus fuzz-merge
fuzz: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_COMMON) $(FUZZ_LIB_OBJS) $(patsubst %,$(FUZZ_OUT)/obj/%.o,$(FUZZ_HARNESSES) fuzz_diff_haproxy)
check: check-fuzz

# The library, instrumented for coverage-guided fuzzing.
$(FUZZ_OUT)/obj/lib/%.o: $(LIB_DIR)/src/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_OUT)/obj/%.o: $(FUZZ_DIR)/%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# HAProxy's parser and the shim, built against the HAProxy tree's headers
# (its headers are not -Wextra clean: warnings off for these two only).
# HAProxy builds with -fwrapv and its mqtt_read_4byte_int shifts a byte
# into the sign bit (finding H1 in fuzz/README.md): -fno-sanitize=shift there.
$(FUZZ_OUT)/obj/haproxy_mqtt.o $(FUZZ_OUT)/obj/haproxy_shim.o: $(FUZZ_DIR)/haproxy_shim.c $(FUZZ_DIR)/haproxy_shim.h
	@mkdir -p $(@D)
	@src="$(FUZZ_HAPROXY_SRC)"; \
	if [ -z "$$src" ]; then src=$$($(TOP)/scripts/fetch-haproxy.sh 3.0) || exit 1; fi; \
	echo "fuzz: HAProxy tree $$src"; \
	set -x; \
	$(FUZZ_CC) -std=gnu99 -g -O1 -w $(FUZZ_SAN) -fwrapv -fno-sanitize=shift -fsanitize=fuzzer-no-link -I$$src/include -c $$src/src/mqtt.c -o $(FUZZ_OUT)/obj/haproxy_mqtt.o && \
	$(FUZZ_CC) -std=gnu99 -g -O1 -w $(FUZZ_SAN) -fsanitize=fuzzer-no-link -I$$src/include -I$(FUZZ_DIR) -c $(FUZZ_DIR)/haproxy_shim.c -o $(FUZZ_OUT)/obj/haproxy_shim.o

$(FUZZ_OUT)/fuzz_diff_haproxy: $(FUZZ_OUT)/obj/fuzz_diff_haproxy.o $(FUZZ_OUT)/obj/haproxy_mqtt.o $(FUZZ_OUT)/obj/haproxy_shim.o $(FUZZ_COMMON) $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@
$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz_%.o $(FUZZ_COMMON) $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -o $@

# Replay: every committed input through every harness, no fuzzing.
check-fuzz: $(FUZZ_BINS)
	@$(FUZZ_DIR)/run.sh replay $(FUZZ_OUT) $(FUZZ_DIR) $(FUZZ_HARNESSES)

fuzz-run: $(FUZZ_BINS)
	@FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_MAX_LEN=$(FUZZ_MAX_LEN) \
	  $(FUZZ_DIR)/run.sh fuzz $(FUZZ_OUT) $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

fuzz-ci: check-fuzz
	@$(MAKE) --no-print-directory fuzz-run FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

fuzz-corpus:
	$(PYTHON) $(FUZZ_DIR)/gen-corpus.py $(FUZZ_DIR)/corpus

fuzz-merge: $(FUZZ_BINS)
	@$(FUZZ_DIR)/run.sh merge $(FUZZ_OUT) $(FUZZ_DIR) $(FUZZ_HARNESSES)

# Coverage: the library built with clang's source-based coverage, driven
# by libFuzzer's main over the committed and the working corpora.
FUZZ_COV_OUT  := $(FUZZ_OUT)/cov
FUZZ_COV_FLAGS := -std=c99 -g -O0 -fprofile-instr-generate -fcoverage-mapping -I$(LIB_INC) -I$(FUZZ_DIR)
FUZZ_COV_HARNESSES := fuzz_decode fuzz_split fuzz_prefix fuzz_sticky fuzz_roundtrip fuzz_rewrite
fuzz-coverage:
	@rm -rf $(FUZZ_COV_OUT) && mkdir -p $(FUZZ_COV_OUT)
	@for h in $(FUZZ_COV_HARNESSES); do \
	  $(FUZZ_CC) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer $(FUZZ_DIR)/$$h.c $(FUZZ_DIR)/fuzz_common.c \
	    $(FUZZ_DIR)/fuzz_enc.c $(LIB_SRCS) -o $(FUZZ_COV_OUT)/$$h || exit 1; \
	done
	@FUZZ_PROFDATA=$(FUZZ_PROFDATA) FUZZ_COV=$(FUZZ_COV) $(FUZZ_DIR)/run.sh coverage \
	  $(FUZZ_COV_OUT) $(FUZZ_DIR) $(LIB_DIR)/src $(FUZZ_COV_HARNESSES)
