# examples: programs over libmqttparse.
#   mqtt-inspect     built by `all` against $(LIB_A) -> $(BUILD)/bin/mqtt-inspect,
#                    installed by `install` into $(PREFIX)/bin.
#   examples/c/*.c   built by `examples-installed` the way a user would: against
#                    an installed copy of the library (make install into
#                    $(BUILD)/stage), found with pkg-config, linked to the shared
#                    library with an rpath into the stage -> $(BUILD)/examples/.
#   check-examples   tests/inspect/*.py (part of `make check`).
#   check-inspect-nofast  its mqtt-inspect sections (A, B, E) against the library
#                    without the accelerator (part of `make check`).
EX_DIR      := $(TOP)/examples
EX_INSPECT  := $(BUILD)/bin/mqtt-inspect
# reading files and hex text, shared by the tools and tests/unit, tests/oracle
EX_INPUT    := $(EX_DIR)/common/input.c
EX_INSPECT_NOFAST := $(BUILD)/bin-nofast/mqtt-inspect
EX_CFLAGS   := -std=c99 $(WARN) $(OPT) -D_POSIX_C_SOURCE=200809L
EX_STAGE    := $(BUILD)/stage
EX_C_SRCS   := $(wildcard $(EX_DIR)/c/*.c)
EX_C_BINS   := $(patsubst $(EX_DIR)/c/%.c,$(BUILD)/examples/%,$(EX_C_SRCS))
EX_STAMP    := $(EX_STAGE)/.installed
EX_PKG      := PKG_CONFIG_PATH=$(EX_STAGE)/lib/pkgconfig pkg-config

.PHONY: examples-installed install-inspect check-examples check-inspect-nofast

all: $(EX_INSPECT)

$(EX_INSPECT): $(LIB_A)
$(EX_INSPECT_NOFAST): $(LIB_A_NOFAST)
$(EX_INSPECT) $(EX_INSPECT_NOFAST): $(EX_DIR)/mqtt-inspect/mqtt-inspect.c $(EX_INPUT) $(EX_INPUT:.c=.h) \
		$(LIB_INC)/mqttparse.h $(LIB_INC)/mqttcodec.h
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) -I$(LIB_INC) $< $(EX_INPUT) $(filter %.a,$^) -o $@

install: install-inspect
install-inspect: $(EX_INSPECT)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(EX_INSPECT) $(DESTDIR)$(PREFIX)/bin/

# A private install into the stage. It uses its own BUILD so that the .pc
# file is generated with the stage as its prefix (the main build's .pc says
# $(PREFIX)); the library sources are the same.
$(EX_STAMP): $(LIB_SRCS) $(LIB_HDRS) $(LIB_DIR)/libmqttparse.pc.in $(LIB_DIR)/lib.mk $(LIB_FAST_STAMP)
	$(MAKE) -C $(TOP) --no-print-directory install BUILD=$(BUILD)/stage-build \
		PREFIX=$(EX_STAGE) DESTDIR=
	@touch $@

$(BUILD)/examples/%: $(EX_DIR)/c/%.c $(EX_INPUT) $(EX_INPUT:.c=.h) $(EX_STAMP)
	@mkdir -p $(@D)
	$(CC) $(EX_CFLAGS) $$($(EX_PKG) --cflags libmqttparse) $< $(EX_INPUT) -o $@ \
		$$($(EX_PKG) --libs libmqttparse) \
		-Wl,-rpath,$$($(EX_PKG) --variable=libdir libmqttparse)

examples-installed: $(EX_C_BINS)

check: check-examples
check-examples: $(EX_INSPECT) examples-installed
	$(PYTHON) $(TOP)/tests/inspect/run_tests.py --inspect $(EX_INSPECT) \
		--forward $(BUILD)/examples/mqtt-forward \
		--capture $(BUILD)/examples/mqtt-capture --workdir $(BUILD)/tests-inspect

# The accelerator must not change what mqtt-inspect prints: the inspect vectors,
# real clients' CONNECTs and the chunk-size robustness run without it too.
check: check-inspect-nofast
check-inspect-nofast: $(EX_INSPECT_NOFAST)
	$(PYTHON) $(TOP)/tests/inspect/run_tests.py --inspect $(EX_INSPECT_NOFAST) \
		--only A,B,E --workdir $(BUILD)/tests-inspect-nofast
