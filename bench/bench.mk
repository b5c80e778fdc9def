# bench: libmqttparse against HAProxy's own MQTT parser, and the balancer
# (HAProxy + addon) against plain TCP and HAProxy's native converters.
#
#   make bench-parser   parser only: ns/packet, callgrind instructions,
#                       arrival in pieces, PUBLISH framing and decoding
#   make bench-lb       balancer: handshakes/s, p50/p99, RSS (needs `make haproxy`,
#                       mosquitto)
#   make bench-ws       MQTT over WebSocket: websocket.cfg vs plain TCP pass-through of
#                       the same WebSocket traffic (needs Node.js for the aedes brokers)
#   make bench-filter   the bytes after the handshake: PUBLISH streams and idle
#                       sessions through basic.cfg vs plain TCP (needs `make haproxy`)
#   make bench          all four; output also in build/bench/results.txt
#
# Each writes its own section of bench/RESULTS.md (bench/results.py) and keeps
# the others. Variables: see bench/README.md (the parser's HAProxy tree comes
# from HAPROXY_TARBALLS=<dir> when it has 3.4, else Debian's 3.0).

BENCH_DIR := $(TOP)/bench
BENCH_OBJ := $(BUILD)/bench
BENCH_HAP_SERIES ?= $(if $(filter 3.4,$(HAP_SHARED_SERIES)),3.4,3.0)
HAPROXY_BIN ?= $(BUILD)/bin/haproxy
# HAProxy's src/mqtt.c is compiled as HAProxy compiles it (-O2 -fwrapv);
# ours is built with the library's own OPT (-O2 by default).
BENCH_HAP_CFLAGS := -O2 -g -fwrapv -w
BENCH_RESULTS ?= $(BENCH_DIR)/RESULTS.md
# $(BENCH_REPORT) SECTION OUTPUT: that benchmark's section of $(BENCH_RESULTS)
BENCH_REPORT = $(PYTHON) $(BENCH_DIR)/results.py --results '$(BENCH_RESULTS)' \
	--cc '$(CC)' --opt '$(OPT)' --fast-path '$(or $(FAST_PATH),1)'
BENCH_CFLAGS = -std=c99 $(WARN) $(OPT) -I$(LIB_INC) -I$(BENCH_DIR) \
	$(if $(wildcard /usr/include/valgrind/callgrind.h),-DHAVE_CALLGRIND_H)

# The HAProxy tree: HAPROXY_SRC if given, else the one the build fetches.
BENCH_HAP_TREE = if [ -n "$(HAPROXY_SRC)" ]; then cd "$(HAPROXY_SRC)" && pwd; \
	else $(call hap_fetch,$(BENCH_HAP_SERIES),$(BUILD)/haproxy-$(BENCH_HAP_SERIES)); fi

# Rewritten only when the tree changes, so the objects below rebuild then.
$(BENCH_OBJ)/hap-tree.txt: bench-hap-tree-force
	@mkdir -p $(@D)
	@t=$$($(BENCH_HAP_TREE)) && [ -f "$$t/src/mqtt.c" ] || { echo "bench: no HAProxy src/mqtt.c" >&2; exit 1; }; \
	[ "$$(cat $@ 2>/dev/null)" = "$$t" ] || echo "$$t" > $@

$(BENCH_OBJ)/hap-mqtt.o: $(BENCH_OBJ)/hap-tree.txt
	t=$$(cat $<); $(CC) $(BENCH_HAP_CFLAGS) -I$$t/include -c $$t/src/mqtt.c -o $@

$(BENCH_OBJ)/hap-shim.o: $(BENCH_DIR)/hap-shim.c $(BENCH_DIR)/hap-shim.h $(BENCH_OBJ)/hap-tree.txt
	t=$$(cat $(BENCH_OBJ)/hap-tree.txt); $(CC) $(BENCH_HAP_CFLAGS) -I$$t/include -I$(BENCH_DIR) -c $< -o $@

$(BENCH_OBJ)/parser-bench: $(BENCH_DIR)/parser-bench.c $(BENCH_DIR)/hap-shim.h \
		$(BENCH_OBJ)/hap-mqtt.o $(BENCH_OBJ)/hap-shim.o $(LIB_A)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_OBJ)/hap-shim.o $(BENCH_OBJ)/hap-mqtt.o $(LIB_A)

$(BENCH_OBJ)/mqtt-loadgen: $(BENCH_DIR)/mqtt-loadgen.c
	@mkdir -p $(@D)
	$(CC) -std=c99 $(WARN) $(OPT) -o $@ $<

bench-parser: $(BENCH_OBJ)/parser-bench
	bash -o pipefail -c '$(BENCH_DIR)/parser-bench.sh $(BENCH_OBJ)/parser-bench $(BENCH_OBJ)/parser-cg | tee $(BENCH_OBJ)/parser.txt'
	$(BENCH_REPORT) --note "HAProxy=src/mqtt.c of $$(basename "$$(cat $(BENCH_OBJ)/hap-tree.txt)"), $(BENCH_HAP_CFLAGS)" \
		parser $(BENCH_OBJ)/parser.txt

bench-lb: haproxy $(BENCH_OBJ)/mqtt-loadgen
	HAPROXY=$(HAPROXY_BIN) LOADGEN=$(BENCH_OBJ)/mqtt-loadgen WORK=$(BENCH_OBJ)/lb \
		bash -o pipefail -c '$(BENCH_DIR)/lb-bench.sh | tee $(BENCH_OBJ)/lb.txt'
	$(BENCH_REPORT) lb $(BENCH_OBJ)/lb.txt

bench-ws: haproxy ws-broker-deps $(BENCH_OBJ)/mqtt-loadgen
	HAPROXY=$(HAPROXY_BIN) LOADGEN=$(BENCH_OBJ)/mqtt-loadgen WORK=$(BENCH_OBJ)/ws \
		NODE_MODULES=$(BUILD)/ws-broker/node_modules \
		bash -o pipefail -c '$(BENCH_DIR)/ws-bench.sh | tee $(BENCH_OBJ)/ws.txt'
	$(BENCH_REPORT) ws $(BENCH_OBJ)/ws.txt

bench-filter: haproxy $(BENCH_OBJ)/mqtt-loadgen
	HAPROXY=$(HAPROXY_BIN) LOADGEN=$(BENCH_OBJ)/mqtt-loadgen WORK=$(BENCH_OBJ)/filter \
		bash -o pipefail -c '$(BENCH_DIR)/filter-bench.sh | tee $(BENCH_OBJ)/filter.txt'
	$(BENCH_REPORT) filter $(BENCH_OBJ)/filter.txt

bench: bench-parser bench-lb bench-ws bench-filter
	cat $(BENCH_OBJ)/parser.txt $(BENCH_OBJ)/lb.txt $(BENCH_OBJ)/ws.txt $(BENCH_OBJ)/filter.txt > $(BENCH_OBJ)/results.txt
	@echo "bench: output in $(BENCH_OBJ)/results.txt, figures in $(BENCH_RESULTS)"

.PHONY: bench bench-parser bench-lb bench-ws bench-filter bench-hap-tree-force
