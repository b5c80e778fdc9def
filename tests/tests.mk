# tests: the libmqttparse unit suite (Check), its sanitizer and clang/C++
# builds, the mosquitto oracle test and the coverage report.
#   make check-unit     gcc -O2 build of the unit suite, run
#   make check-asan     the same with -fsanitize=address,undefined (library compiled in)
#   make check-clang    library under clang -Werror -std=c99; headers through g++ -x c++
#   make check-oracle   verdicts against mosquitto's broker test data (ORACLE_DIR=...)
#   make check-unit-nofast, check-oracle-nofast   the same against the library
#                       without the accelerator (LIB_A_NOFAST), whatever FAST_PATH is
#   make coverage       line and branch coverage of libmqttparse/src (gcovr)

TEST_DIR     := $(TOP)/tests
TEST_BUILD   := $(BUILD)/tests
TEST_NOFAST  := $(TEST_BUILD)-nofast
ORACLE_DIR   ?= $(TOP)/../shared/oracles/mosquitto-broker-data
# Check is looked up quietly (before `make deps` it is not there yet); its libs
# only when a test is linked (after deps ran), failing clearly if still missing.
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS    = $(or $(shell pkg-config --cflags --libs check 2>/dev/null),$(error Check (the C unit test framework) not found by pkg-config: run `make deps` or apt-get install check libsubunit-dev))
TEST_WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
TEST_CFLAGS  := -std=c99 $(TEST_WARN) -g -I$(LIB_INC) -I$(TEST_DIR)/unit $(CHECK_CFLAGS)
UNIT_SRCS    := $(TEST_DIR)/unit/test_unit.c $(TEST_DIR)/unit/runner.c \
                $(TEST_DIR)/unit/vectors.c $(TEST_DIR)/unit/hexin.c $(TEST_DIR)/unit/guard.c \
                $(TEST_DIR)/unit/test_ws.c \
                $(TEST_DIR)/unit/test_rewrite.c $(TEST_DIR)/unit/test_rules.c \
                $(TEST_DIR)/unit/test_topic.c \
                $(TEST_DIR)/unit/test_answer.c \
                $(TEST_DIR)/unit/test_alias.c \
                $(TOP)/examples/common/input.c
UNIT_HDRS    := $(TEST_DIR)/unit/harness.h $(LIB_INC)/mqttparse.h $(LIB_INC)/mqttcodec.h $(LIB_INC)/mqttws.h \
                $(TOP)/examples/common/input.h $(wildcard $(LIB_DIR)/src/*.h)
ORACLE_SRCS  := $(TEST_DIR)/oracle/test_oracle.c $(TOP)/examples/common/input.c
ORACLE_GEN   := $(TEST_DIR)/oracle/translate.py
SAN_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
COV_DIR      := $(BUILD)/coverage

.PHONY: check-unit check-asan check-clang check-oracle coverage check-unit-nofast check-oracle-nofast
check: check-symbols check-unit check-asan check-clang check-oracle
# The accelerator must not change a verdict: the same suites without it.
check: check-unit-nofast check-oracle-nofast

# Each test binary links the build's library or the one without the accelerator.
$(TEST_BUILD)/unit $(TEST_BUILD)/oracle: $(LIB_A)
$(TEST_NOFAST)/unit $(TEST_NOFAST)/oracle: $(LIB_A_NOFAST)

# --- unit suite, gcc -O2, against the static library ----------------------
$(TEST_BUILD)/unit $(TEST_NOFAST)/unit: $(UNIT_SRCS) $(UNIT_HDRS)
	@mkdir -p $(@D)
	gcc $(TEST_CFLAGS) -O2 $(UNIT_SRCS) $(filter %.a,$^) $(CHECK_LIBS) -o $@

# (the stem is "" or "-nofast": $(TEST_BUILD) or $(TEST_NOFAST))
check-unit check-unit-nofast: check-unit%: $(TEST_BUILD)%/unit
	cd $(<D) && ./unit

# --- sanitizers: library sources compiled in with the same flags ---------
$(TEST_BUILD)/unit-asan: $(UNIT_SRCS) $(UNIT_HDRS) $(LIB_SRCS) $(LIB_HDRS) $(LIB_FAST_STAMP)
	@mkdir -p $(@D)
	gcc $(TEST_CFLAGS) -O1 $(SAN_FLAGS) -DMQTTP_FAST_PATH=$(FAST_PATH) $(UNIT_SRCS) $(LIB_SRCS) $(CHECK_LIBS) -o $@

check-asan: $(TEST_BUILD)/unit-asan
	cd $(TEST_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ./unit-asan

# --- clang -Werror for the library, C++ for the header --------------------
check-clang:
	@for f in $(LIB_SRCS); do \
		echo "clang -std=c99 -Wall -Wextra -Wpedantic -Werror $$(basename $$f)"; \
		clang -std=c99 -Wall -Wextra -Wpedantic -Werror -DMQTTP_FAST_PATH=$(FAST_PATH) -I$(LIB_INC) -c $$f -o /dev/null || exit 1; \
	done
	g++ -fsyntax-only -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror $(LIB_INC)/mqttparse.h
	g++ -fsyntax-only -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror $(LIB_INC)/mqttcodec.h
	g++ -fsyntax-only -x c++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -I$(LIB_INC) $(LIB_INC)/mqttws.h
	@printf '#include "mqttparse.h"\nint main() { struct mqttp_parser p; mqttp_init(&p, 0); return 0; }\n' \
		| g++ -fsyntax-only -x c++ -Wall -Wextra -Wpedantic -Werror -I$(LIB_INC) -
	@printf '#include "mqttcodec.h"\nint main() { struct mqttp_connect c; struct mqttp_result r; return mqttp_decode_connect("", 0, 0, &c, &r); }\n' \
		| g++ -fsyntax-only -x c++ -Wall -Wextra -Wpedantic -Werror -I$(LIB_INC) -
	@echo "check-clang: ok"

# --- mosquitto oracle ------------------------------------------------------
$(TEST_BUILD)/oracle $(TEST_NOFAST)/oracle: $(ORACLE_SRCS) $(UNIT_HDRS)
	@mkdir -p $(@D)
	gcc $(TEST_CFLAGS) -O2 $(ORACLE_SRCS) $(filter %.a,$^) $(CHECK_LIBS) -o $@

check-oracle check-oracle-nofast: check-oracle%: $(TEST_BUILD)%/oracle
	@if [ ! -d "$(ORACLE_DIR)" ]; then \
		echo "$@: SKIPPED: mosquitto broker data not found at $(ORACLE_DIR) (set ORACLE_DIR=...)"; \
	else \
		$(PYTHON) $(ORACLE_GEN) "$(ORACLE_DIR)" $(<D)/oracle-cases.txt && \
		cd $(<D) && ORACLE_CASES=$(<D)/oracle-cases.txt ./oracle; \
	fi

# --- coverage: library built with --coverage, unit + oracle tests ---------
coverage: $(UNIT_SRCS) $(UNIT_HDRS) $(LIB_SRCS) $(LIB_HDRS) $(ORACLE_SRCS)
	@rm -rf $(COV_DIR) && mkdir -p $(COV_DIR)/obj
	cd $(COV_DIR)/obj && for f in $(LIB_SRCS); do \
		gcc -std=c99 -O0 -g --coverage -DMQTTP_FAST_PATH=$(FAST_PATH) -I$(LIB_INC) -c $$f -o $$(basename $$f .c).o || exit 1; done
	gcc $(TEST_CFLAGS) -O0 $(UNIT_SRCS) $(COV_DIR)/obj/*.o --coverage $(CHECK_LIBS) -o $(COV_DIR)/unit
	gcc $(TEST_CFLAGS) -O0 $(ORACLE_SRCS) $(COV_DIR)/obj/*.o --coverage $(CHECK_LIBS) -o $(COV_DIR)/oracle
	@cd $(COV_DIR) && CK_FORK=no ./unit > unit.log 2>&1; tail -1 $(COV_DIR)/unit.log | grep -q 'Failures: 0, Errors: 0' \
		|| { grep -E '^[0-9]+%: Checks' $(COV_DIR)/unit.log; echo "coverage: WARNING: unit failures (see $(COV_DIR)/unit.log)"; }
	@if [ -d "$(ORACLE_DIR)" ]; then \
		$(PYTHON) $(ORACLE_GEN) "$(ORACLE_DIR)" $(COV_DIR)/oracle-cases.txt && \
		cd $(COV_DIR) && CK_FORK=no ORACLE_CASES=$(COV_DIR)/oracle-cases.txt ./oracle \
		|| echo "coverage: WARNING: oracle failures"; \
	else echo "coverage: oracle data not found, unit tests only"; fi
	cd $(COV_DIR)/obj && gcovr --root $(LIB_DIR)/src --object-directory $(COV_DIR)/obj \
		--filter '$(LIB_DIR)/src/' --txt $(COV_DIR)/coverage.txt \
		--html-details $(COV_DIR)/index.html --print-summary . \
		| tee $(COV_DIR)/summary.txt
	@cd $(COV_DIR)/obj && gcovr --root $(LIB_DIR)/src --object-directory $(COV_DIR)/obj \
		--filter '$(LIB_DIR)/src/' --branches . > $(COV_DIR)/coverage-branches.txt
	@echo "coverage: report in $(COV_DIR)/index.html, $(COV_DIR)/coverage.txt (lines) and coverage-branches.txt"

# CONNECTs rewritten by mqttp_rewrite_connect, judged by a live mosquitto (ids and
# user names read back from its log).
.PHONY: check-rewrite-broker
check-rewrite-broker: $(LIB_SO)
	$(PYTHON) $(TEST_DIR)/e2e/test_rewrite_broker.py $(BUILD)/lib/libmqttparse.so
check: check-rewrite-broker

# The CONNECT rewrite actions end to end (real TLS client certificates, mosquitto
# brokers, a byte-capturing backend) on HAProxy 3.0 and 3.4; the recipes
# rewrite-cert.cfg and rewrite-tenant-sni.cfg. REWRITE_E2E_ARGS='-k tenant -v'.
include $(TOP)/tests/lib/lib.mk
REWRITE_E2E_SERIES ?= 3.0 3.4
REWRITE_E2E_ARGS   ?=
.PHONY: check-rewrite-e2e
check-rewrite-e2e: $(addprefix haproxy-,$(call test_usable,$(REWRITE_E2E_SERIES)))
	@$(TOP)/tests/lib/matrix.sh check-rewrite-e2e $(TOP)/tests/e2e/test_rewrite_e2e.py \
		--args '$(REWRITE_E2E_ARGS)' $(call test_entries,full,$(REWRITE_E2E_SERIES))
check: check-rewrite-e2e
# The same suite against HAProxy 3.0 built with AddressSanitizer, leak check on
# (any report fails; about 2.5 min on 2 busy cores).
.PHONY: check-rewrite-e2e-asan
check-rewrite-e2e-asan:
	@$(MAKE) --no-print-directory haproxy-asan HAPROXY_VERSION=3.0
	$(TOP)/tests/e2e/test_rewrite_e2e.py --asan --haproxy $(BUILD)/bin/haproxy-3.0-asan $(REWRITE_E2E_ARGS)
check: check-rewrite-e2e-asan

# MQTT over WebSocket end to end on HAProxy 3.0 and 3.4: examples/haproxy/websocket.cfg in
# front of aedes brokers behind the `ws` WebSocket server (tests/e2e/ws-broker/, npm packages
# pinned by its package-lock.json, installed with `npm ci` into $(BUILD)/ws-broker), paho over
# ws://, raw WebSocket clients for every bad input, capture backends. WEBSOCKET_E2E_ARGS='-k bad -v'.
WS_BROKER_DIR        = $(BUILD)/ws-broker
WEBSOCKET_E2E_SERIES ?= 3.0 3.4
WEBSOCKET_E2E_ARGS   ?=
.PHONY: ws-broker-deps check-websocket-e2e
ws-broker-deps: $(WS_BROKER_DIR)/node_modules/.installed
$(WS_BROKER_DIR)/node_modules/.installed: $(TEST_DIR)/e2e/ws-broker/package.json $(TEST_DIR)/e2e/ws-broker/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "ws-broker-deps: npm (Node.js) is required" >&2; exit 1; }
	mkdir -p $(WS_BROKER_DIR)
	cp $^ $(WS_BROKER_DIR)/
	cd $(WS_BROKER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@
check-websocket-e2e: ws-broker-deps $(addprefix haproxy-,$(call test_usable,$(WEBSOCKET_E2E_SERIES)))
	@MQTT_WS_NODE_MODULES=$(WS_BROKER_DIR)/node_modules $(TOP)/tests/lib/matrix.sh check-websocket-e2e \
		$(TOP)/tests/e2e/test_websocket.py --args '$(WEBSOCKET_E2E_ARGS)' \
		$(call test_entries,full,$(WEBSOCKET_E2E_SERIES))
check: check-websocket-e2e
# The same suite against HAProxy 3.0 built with AddressSanitizer (any report fails).
.PHONY: check-websocket-e2e-asan
check-websocket-e2e-asan: ws-broker-deps
	@$(MAKE) --no-print-directory haproxy-asan HAPROXY_VERSION=3.0
	MQTT_WS_NODE_MODULES=$(WS_BROKER_DIR)/node_modules $(TOP)/tests/e2e/test_websocket.py --asan \
		--haproxy $(BUILD)/bin/haproxy-3.0-asan $(WEBSOCKET_E2E_ARGS)
check: check-websocket-e2e-asan

# End-to-end tests of the HAProxy addon (real HAProxy, brokers, clients): the whole
# suite on HAProxy 3.0 and 3.4, a smoke subset on 2.6, 2.8, 3.2 and 3.5-dev (the
# helpers shared by the suites are tests/lib/).
-include $(TOP)/tests/e2e/e2e.mk
check: check-e2e

# The addon as a session filter end to end (tests/e2e/test_session.py): the whole
# suite on $(E2E_FULL_SERIES), its smoke subset on the other series of
# $(E2E_SMOKE_SERIES). SESSION_E2E_HAPROXY='bin ...' runs the whole suite against
# given binaries only; SESSION_E2E_ARGS='-k keepalive -v'.
SESSION_E2E_HAPROXY ?=
SESSION_E2E_ARGS    ?=
.PHONY: check-session-e2e
ifeq ($(strip $(SESSION_E2E_HAPROXY)),)
check-session-e2e: $(E2E_BINS)
	@$(TOP)/tests/lib/matrix.sh check-session-e2e $(TOP)/tests/e2e/test_session.py \
		--args '$(SESSION_E2E_ARGS)' $(call test_entries,full,$(E2E_FULL_SERIES)) \
		$(call test_entries,smoke,$(E2E_SMOKE_ONLY))
else
check-session-e2e:
	$(TOP)/tests/e2e/test_session.py $(SESSION_E2E_HAPROXY) -- $(SESSION_E2E_ARGS)
endif
check: check-session-e2e

# Fault and load tests (storm/failover, peers reload, slow clients) on HAProxy 3.0
# and 3.4, and the AddressSanitizer run (HAProxy 3.0) of the end-to-end and fault suites.
-include $(TOP)/tests/fault/fault.mk
check: check-fault check-fault-asan
-include $(TOP)/tests/build/build.mk
-include $(TOP)/tests/interop/interop.mk
