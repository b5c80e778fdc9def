# tests/fault: fault and load tests of the MQTT balancer (real HAProxy with the
# addon, mosquitto brokers, raw asyncio clients, all on 127.0.0.1).
#   make check-fault                         build HAProxy (make haproxy), run the fault tests
#   make check-fault FAULT_HAPROXY='a b'     run them against given binaries only
#   make check-fault-asan                    build build/bin/haproxy-asan, run the e2e suite
#                                            and the fault tests under AddressSanitizer
#   make check-fault FAULT_ARGS='-- -k storm --clients 500'
# Budget: about 30 s for check-fault, a few minutes for check-fault-asan (2 cores).
FAULT_HAPROXY ?=
FAULT_ARGS    ?=

ifeq ($(strip $(FAULT_HAPROXY)),)
check-fault: haproxy
	$(TOP)/tests/fault/run.sh $(BUILD)/bin/haproxy $(FAULT_ARGS)
else
check-fault:
	$(TOP)/tests/fault/run.sh $(FAULT_HAPROXY) $(FAULT_ARGS)
endif

check-fault-asan: haproxy-asan
	$(TOP)/tests/fault/asan.sh $(BUILD)/bin/haproxy-asan $(FAULT_ARGS)

.PHONY: check-fault check-fault-asan
