# tests/fault: fault and load tests of the MQTT balancer (real HAProxy with the
# addon, mosquitto brokers, raw asyncio clients, all on 127.0.0.1).
#   make check-fault                         the fault tests on HAProxy $(FAULT_SERIES)
#                                            (default 3.0 3.4; 3.4 is skipped with a
#                                            "SKIPPED: haproxy-3.4.0.tar.gz not in
#                                            HAPROXY_TARBALLS=<dir>" line when absent)
#   make check-fault FAULT_HAPROXY='a b'     run them against given binaries only
#   make check-fault-asan                    HAProxy $(FAULT_ASAN_SERIES) (default 3.0) built
#                                            with AddressSanitizer: the e2e suite and the
#                                            fault tests under it
#   make check-fault FAULT_ARGS='-k storm --clients 500'   (with or without a leading '--')
#   make fault-haproxy                       only build the binaries check-fault needs
# Budget (2 cores): about 35 s per version for check-fault, 4 min for check-fault-asan.
# The binaries are haproxy-addon/addon.mk's build/bin/haproxy-<series> (shared
# with the e2e suite) and build/bin/haproxy-<series>-asan.
FAULT_HAPROXY     ?=
FAULT_ARGS        ?=
FAULT_SERIES      ?= 3.0 3.4
FAULT_ASAN_SERIES ?= 3.0

include $(TOP)/tests/lib/lib.mk

FAULT_RUN_ARGS = $(filter-out --,$(FAULT_ARGS))
FAULT_BINS     = $(addprefix haproxy-,$(call test_usable,$(FAULT_SERIES)))

.PHONY: check-fault check-fault-asan fault-haproxy fault-haproxy-asan
fault-haproxy: $(FAULT_BINS)

ifeq ($(strip $(FAULT_HAPROXY)),)
check-fault: $(FAULT_BINS)
	@$(TOP)/tests/lib/matrix.sh check-fault $(TOP)/tests/fault/run.sh --args '$(FAULT_RUN_ARGS)' \
		$(call test_entries,full,$(FAULT_SERIES))
else
check-fault:
	$(TOP)/tests/fault/run.sh $(FAULT_HAPROXY) -- $(FAULT_RUN_ARGS)
endif

# The ASan build of one series: haproxy-addon/addon.mk's haproxy-asan target
# builds HAPROXY_VERSION; a sub-make picks the series (a no-op relink once built).
FAULT_ASAN_BIN = $(BUILD)/bin/haproxy-$(FAULT_ASAN_SERIES)-asan
fault-haproxy-asan:
	@$(if $(call test_missing,$(FAULT_ASAN_SERIES)),echo "check-fault-asan: HAProxy $(FAULT_ASAN_SERIES) SKIPPED: $(call test_skip_why,$(FAULT_ASAN_SERIES))"; exit 0;) \
	$(MAKE) --no-print-directory haproxy-asan HAPROXY_VERSION=$(FAULT_ASAN_SERIES)

check-fault-asan: fault-haproxy-asan
	@$(if $(call test_missing,$(FAULT_ASAN_SERIES)),exit 0;) \
	echo "check-fault-asan: HAProxy $(FAULT_ASAN_SERIES) with AddressSanitizer ($(FAULT_ASAN_BIN))"; \
	t0=$$(date +%s); $(TOP)/tests/fault/asan.sh $(FAULT_ASAN_BIN) -- $(FAULT_RUN_ARGS); rc=$$?; \
	echo "check-fault-asan: HAProxy $(FAULT_ASAN_SERIES) ASan: $$([ $$rc -eq 0 ] && echo ok || echo FAIL) in $$(( $$(date +%s) - t0 )) s"; \
	exit $$rc
