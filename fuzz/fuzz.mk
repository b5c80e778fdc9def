# fuzz/: libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined).
#   make fuzz                       build the harnesses into build/fuzz/
#   make fuzz-run FUZZ_SECONDS=N    fuzz each harness N seconds (FUZZ_JOBS at once, default 2)
#   make check-fuzz                 replay fuzz/corpus and fuzz/regressions through each harness
#   make fuzz-ci                    check-fuzz, then each harness FUZZ_CI_SECONDS (default 60)
#   make fuzz-coverage              line/branch coverage of libmqttparse/src over the corpora
#   make fuzz-corpus                regenerate fuzz/corpus from the vectors (fuzz/gen-corpus.py)
#   make fuzz-merge                 fold the coverage-adding inputs of the working corpora into fuzz/corpus
#   make fuzz-replay-nofast         replay them through the harnesses built without the
#                                   accelerator (part of `make check`)
#   make check-fuzz-diff            replay them through fuzz_diff_haproxy-<S> for each
#                                   FUZZ_DIFF_ALSO series (allow-list right for other trees)
# fuzz_diff_haproxy compares with HAProxy's src/mqtt.c of one named tree:
#   FUZZ_DIFF_SERIES=3.0 (default; Debian's 3.0, the tree `make haproxy-3.0` uses),
#   2.6, or 2.8 / 3.2 / 3.4 / 3.5-dev (release tarballs in HAPROXY_TARBALLS=<dir>);
#   HAPROXY_SRC=<tree> compares with that tree instead. The harness prints the tree.
#   FUZZ_DIFF_ALSO=3.4 (default): more trees built as fuzz_diff_haproxy-<S> for
#   check-fuzz-diff (skipped with a SKIPPED line when the tarball is absent).
# fuzz_session builds the addon's session code against the same tree's headers.
# FUZZ_NO_HAPROXY=1 skips both (a SKIPPED line in check-fuzz).
# FAST_PATH=0 builds the harnesses' library without the accelerator;
# fuzz_fastpath always links both builds and compares them. See fuzz/README.md.

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
FUZZ_HARNESSES += fuzz_ws_split fuzz_ws_roundtrip fuzz_ws_mqtt fuzz_fastpath
FUZZ_HARNESSES += fuzz_match
FUZZ_HARNESSES += fuzz_answer
FUZZ_HARNESSES += fuzz_alias
FUZZ_HARNESSES += fuzz_publish
# The differential harness needs a HAProxy tree (fetched when absent);
# FUZZ_NO_HAPROXY=1 leaves it out, e.g. on a machine without the archive.
ifneq ($(FUZZ_NO_HAPROXY),1)
FUZZ_HARNESSES += fuzz_diff_haproxy
endif
# The addon's session code against the same tree's headers (fuzz_session).
ifneq ($(FUZZ_NO_HAPROXY),1)
FUZZ_HARNESSES += fuzz_session
endif
FUZZ_BINS     := $(addprefix $(FUZZ_OUT)/,$(FUZZ_HARNESSES))
# The instrumented library of one build: $(1) is its FAST_PATH.
fuzz_lib_objdir = $(FUZZ_OUT)/obj/lib$(if $(filter 0,$(1)),-nofast)
fuzz_lib_objs = $(patsubst $(LIB_DIR)/src/%.c,$(call fuzz_lib_objdir,$(1))/%.o,$(LIB_SRCS))
FUZZ_LIB_OBJS := $(call fuzz_lib_objs,$(FAST_PATH))
# The harnesses whose committed inputs also run against the library without
# the accelerator (in $(FUZZ_NOFAST_OUT)).
FUZZ_NOFAST_OUT := $(FUZZ_OUT)/nofast
FUZZ_NOFAST_HARNESSES := $(filter-out fuzz_diff_haproxy fuzz_fastpath fuzz_session,$(FUZZ_HARNESSES))
FUZZ_NOFAST_RENAMED := $(FUZZ_OUT)/obj/lib-nofast-renamed.o
FUZZ_LD       ?= ld
FUZZ_NM       ?= nm
FUZZ_OBJCOPY  ?= objcopy
FUZZ_COMMON   := $(FUZZ_OUT)/obj/fuzz_common.o $(FUZZ_OUT)/obj/fuzz_enc.o
FUZZ_HDRS     := $(wildcard $(FUZZ_DIR)/*.h) $(LIB_HDRS)

# The differential harness's HAProxy trees (fuzz/haproxy_shim.sh resolves a
# series to a tree: Debian's through scripts/fetch-haproxy.sh, the others from
# the release tarballs of HAPROXY_TARBALLS). Objects per tree in obj/hap-<tag>/.
# (HAPROXY_SRC is only read here: setting it would switch `make haproxy` to the
# "user's tree" build.)
include $(TOP)/tests/lib/lib.mk
FUZZ_DIFF_SERIES ?= 3.0
FUZZ_DIFF_ALSO   ?= 3.4
FUZZ_USER_TREE   := $(if $(filter command environment,$(firstword $(origin HAPROXY_SRC))),$(abspath $(HAPROXY_SRC)))
FUZZ_DIFF_TAG    := $(if $(FUZZ_USER_TREE),src-$(shell printf '%s' '$(FUZZ_USER_TREE)' | cksum | cut -d' ' -f1),$(FUZZ_DIFF_SERIES))
FUZZ_DIFF_EXTRA  := $(filter-out $(FUZZ_DIFF_TAG),$(call test_usable,$(FUZZ_DIFF_ALSO)))
fuzz_hap_spec     = $(if $(filter src-%,$(1)),$(FUZZ_USER_TREE),series:$(1))
FUZZ_SHIM         = TOP='$(TOP)' BUILD='$(BUILD)' SHARED='$(TEST_SHARED_DIR)' FUZZ_CC='$(FUZZ_CC)' \
                    FUZZ_SAN='$(FUZZ_SAN)' $(FUZZ_DIR)/haproxy_shim.sh

.PHONY: fuzz fuzz-run check-fuzz fuzz-ci fuzz-coverage fuzz-corpus fuzz-merge fuzz-replay-nofast
fuzz: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_COMMON) $(call fuzz_lib_objs,0) $(call fuzz_lib_objs,1) $(FUZZ_NOFAST_RENAMED) $(patsubst %,$(FUZZ_OUT)/obj/%.o,$(FUZZ_HARNESSES) fuzz_diff_haproxy) $(foreach t,$(FUZZ_DIFF_TAG) $(FUZZ_DIFF_EXTRA),$(FUZZ_OUT)/obj/hap-$(t)/mqtt.o)
check: check-fuzz

# The library, instrumented for coverage-guided fuzzing, in both builds.
define fuzz_lib_rule
$(call fuzz_lib_objdir,$(1))/%.o: $(LIB_DIR)/src/%.c $(LIB_HDRS)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -DMQTTP_FAST_PATH=$(1) -c $$< -o $$@
endef
$(foreach f,0 1,$(eval $(call fuzz_lib_rule,$(f))))
$(FUZZ_OUT)/obj/%.o: $(FUZZ_DIR)/%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# HAProxy's parser and the shim of one tree (fuzz/haproxy_shim.sh: flags and
# why; the tree's name and version are compiled into the shim).
$(FUZZ_OUT)/obj/hap-%/mqtt.o: $(FUZZ_DIR)/haproxy_shim.c $(FUZZ_DIR)/haproxy_shim.h $(FUZZ_DIR)/haproxy_shim.sh
	@TARBALL='$(call test_tarball,$*)' $(FUZZ_SHIM) build $(@D) '$(call fuzz_hap_spec,$*)'
# which tree fuzz_diff_haproxy was linked with: another one relinks it
$(FUZZ_OUT)/obj/diff-tree.tag: fuzz-diff-tree-check
	@mkdir -p $(@D); [ "$$(cat $@ 2>/dev/null)" = "$(FUZZ_DIFF_TAG)" ] || echo "$(FUZZ_DIFF_TAG)" > $@
.PHONY: fuzz-diff-tree-check

fuzz_diff_link = $(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(filter %.o,$(1)) $(dir $(filter %/mqtt.o,$(1)))shim.o -o $(2)
$(FUZZ_OUT)/fuzz_diff_haproxy: $(FUZZ_OUT)/obj/fuzz_diff_haproxy.o $(FUZZ_OUT)/obj/hap-$(FUZZ_DIFF_TAG)/mqtt.o $(FUZZ_OUT)/obj/diff-tree.tag $(FUZZ_COMMON) $(FUZZ_LIB_OBJS) $(LIB_FAST_STAMP)
	$(call fuzz_diff_link,$^,$@)
define fuzz_diff_also_rule
$(FUZZ_OUT)/fuzz_diff_haproxy-$(1): $(FUZZ_OUT)/obj/fuzz_diff_haproxy.o $(FUZZ_OUT)/obj/hap-$(1)/mqtt.o $(FUZZ_COMMON) $(FUZZ_LIB_OBJS) $(LIB_FAST_STAMP)
	$$(call fuzz_diff_link,$$^,$$@)
endef
$(foreach s,$(FUZZ_DIFF_EXTRA),$(eval $(call fuzz_diff_also_rule,$(s))))

# fuzz_session: haproxy-addon/mqttp_session.c as it is, with HAProxy's
# headers of the FUZZ_DIFF_SERIES tree, and fuzz/fuzz_session_shim.c.
FUZZ_SESSION_DEPS := $(TOP)/haproxy-addon/mqttp_session.c $(wildcard $(TOP)/haproxy-addon/*.h) \
                     $(FUZZ_DIR)/fuzz_session_shim.c $(FUZZ_DIR)/fuzz_session_shim.h $(LIB_HDRS)
$(FUZZ_OUT)/obj/hap-%/session.o: $(FUZZ_SESSION_DEPS) $(FUZZ_DIR)/haproxy_shim.sh
	@TARBALL='$(call test_tarball,$*)' FUZZ_LD='$(FUZZ_LD)' $(FUZZ_SHIM) session $(@D) '$(call fuzz_hap_spec,$*)'
$(FUZZ_OUT)/fuzz_session: $(FUZZ_OUT)/obj/fuzz_session.o $(FUZZ_OUT)/obj/hap-$(FUZZ_DIFF_TAG)/session.o $(FUZZ_OUT)/obj/diff-tree.tag $(FUZZ_COMMON) $(FUZZ_LIB_OBJS) $(LIB_FAST_STAMP)
	$(fuzz_link)
.SECONDARY: $(FUZZ_OUT)/obj/hap-$(FUZZ_DIFF_TAG)/session.o

# The committed inputs through the harness built against the other trees.
.PHONY: check-fuzz-diff
ifneq ($(FUZZ_NO_HAPROXY),1)
check: check-fuzz-diff
check-fuzz-diff: $(addprefix $(FUZZ_OUT)/fuzz_diff_haproxy-,$(FUZZ_DIFF_EXTRA))
	@$(foreach s,$(call test_missing,$(FUZZ_DIFF_ALSO)),echo 'check-fuzz-diff: HAProxy $(s) SKIPPED: $(call test_skip_why,$(s))';) true
	@$(if $(FUZZ_DIFF_EXTRA),$(FUZZ_DIR)/run.sh replay $(FUZZ_OUT) $(FUZZ_DIR) $(addprefix fuzz_diff_haproxy-,$(FUZZ_DIFF_EXTRA)),true)
else
check-fuzz-diff:
	@echo "check-fuzz-diff: SKIPPED (FUZZ_NO_HAPROXY=1)"
endif
fuzz_link = $(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(filter %.o,$^) -o $@
$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz_%.o $(FUZZ_COMMON) $(FUZZ_LIB_OBJS) $(LIB_FAST_STAMP)
	$(fuzz_link)
$(FUZZ_NOFAST_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz_%.o $(FUZZ_COMMON) $(call fuzz_lib_objs,0)
	@mkdir -p $(@D)
	$(fuzz_link)

# fuzz_fastpath links both builds whatever FAST_PATH is: the one without the
# accelerator with every mqttp_ symbol renamed nofast_mqttp_ (fuzz_fastpath.h).
$(FUZZ_NOFAST_RENAMED): $(call fuzz_lib_objs,0)
	$(FUZZ_LD) -r -o $(@:.o=.all.o) $^
	$(FUZZ_NM) -g --defined-only $(@:.o=.all.o) | awk '$$3 ~ /^mqttp_/ { print $$3, "nofast_" $$3 }' > $(@:.o=.syms)
	$(FUZZ_OBJCOPY) --redefine-syms=$(@:.o=.syms) $(@:.o=.all.o) $@
	@if $(FUZZ_NM) -g $@ | grep -q ' mqttp_'; then echo "$@: a global mqttp_ symbol was not renamed" >&2; rm -f $@; exit 1; fi
# Its comparisons of equal values would only slow the fuzzer down.
$(FUZZ_OUT)/obj/fuzz_fastpath.o: FUZZ_CFLAGS += -fno-sanitize-coverage=trace-cmp
$(FUZZ_OUT)/fuzz_fastpath: $(FUZZ_OUT)/obj/fuzz_fastpath.o $(FUZZ_COMMON) $(call fuzz_lib_objs,1) $(FUZZ_NOFAST_RENAMED)
	$(fuzz_link)

# Replay: every committed input through every harness, no fuzzing.
check-fuzz: $(FUZZ_BINS)
	@$(FUZZ_DIR)/run.sh replay $(FUZZ_OUT) $(FUZZ_DIR) $(FUZZ_HARNESSES)
	@$(if $(filter 1,$(FUZZ_NO_HAPROXY)),echo 'check-fuzz: fuzz_diff_haproxy and fuzz_session SKIPPED (FUZZ_NO_HAPROXY=1: no HAProxy tree)',true)

# The same inputs against the state machine alone (fuzz_fastpath, replayed by
# check-fuzz, compares the two builds directly).
check: fuzz-replay-nofast
fuzz-replay-nofast: $(addprefix $(FUZZ_NOFAST_OUT)/,$(FUZZ_NOFAST_HARNESSES))
	@$(FUZZ_DIR)/run.sh replay $(FUZZ_NOFAST_OUT) $(FUZZ_DIR) $(FUZZ_NOFAST_HARNESSES) \
		> $(FUZZ_NOFAST_OUT)/replay.txt; rc=$$?; sed 's/^check-fuzz:/$@:/' $(FUZZ_NOFAST_OUT)/replay.txt; exit $$rc

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
FUZZ_COV_FLAGS := -std=c99 -g -O0 -fprofile-instr-generate -fcoverage-mapping -DMQTTP_FAST_PATH=$(FAST_PATH) -I$(LIB_INC) -I$(FUZZ_DIR)
FUZZ_COV_HARNESSES := fuzz_decode fuzz_split fuzz_prefix fuzz_sticky fuzz_roundtrip fuzz_rewrite
FUZZ_COV_HARNESSES += fuzz_ws_split fuzz_ws_roundtrip fuzz_ws_mqtt fuzz_match
FUZZ_COV_HARNESSES += fuzz_answer
FUZZ_COV_HARNESSES += fuzz_alias
FUZZ_COV_HARNESSES += fuzz_publish
fuzz-coverage:
	@rm -rf $(FUZZ_COV_OUT) && mkdir -p $(FUZZ_COV_OUT)
	@for h in $(FUZZ_COV_HARNESSES); do \
	  $(FUZZ_CC) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer $(FUZZ_DIR)/$$h.c $(FUZZ_DIR)/fuzz_common.c \
	    $(FUZZ_DIR)/fuzz_enc.c $(LIB_SRCS) -o $(FUZZ_COV_OUT)/$$h || exit 1; \
	done
	@FUZZ_PROFDATA=$(FUZZ_PROFDATA) FUZZ_COV=$(FUZZ_COV) $(FUZZ_DIR)/run.sh coverage \
	  $(FUZZ_COV_OUT) $(FUZZ_DIR) $(LIB_DIR)/src $(FUZZ_COV_HARNESSES)
