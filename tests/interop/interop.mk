# tests/interop: the Eclipse Paho MQTT interoperability suites (client_test.py for
# 3.1.1, client_test5.py for 5.0), run from PAHO_TESTING (never copied into the
# project) directly against mosquitto and through examples/haproxy/basic.cfg on
# HAProxy $(INTEROP_SERIES): the per-test results must be identical.
#   make check-interop                              on HAProxy $(INTEROP_SERIES) (default 3.0)
#   make check-interop INTEROP_SERIES='3.0 3.4'     more series (a missing tarball: SKIPPED line)
#   make check-interop INTEROP_HAPROXY='a b'        the given binaries only
#   make check-interop INTEROP_ARGS='-k paho_5 -v'  suite options (-v: every test's result)
#   make check-interop PAHO_TESTING=<dir>           the paho.mqtt.testing checkout to use
# Without the suite there: one "check-interop: SKIPPED: ..." line. The binaries
# are haproxy-addon/addon.mk's build/bin/haproxy-<series>, shared with tests/e2e.
INTEROP_SERIES  ?= 3.0
INTEROP_HAPROXY ?=
INTEROP_ARGS    ?=
PAHO_TESTING    ?= $(abspath $(TOP)/../shared/third-party/paho.mqtt.testing)

include $(TOP)/tests/lib/lib.mk

INTEROP_RUN_ARGS = $(filter-out --,$(INTEROP_ARGS))
INTEROP_BINS     = $(addprefix haproxy-,$(call test_usable,$(INTEROP_SERIES)))

.PHONY: check-interop interop-haproxy
interop-haproxy: $(INTEROP_BINS)

ifeq ($(wildcard $(PAHO_TESTING)/interoperability/client_test5.py),)
check-interop:
	@echo "check-interop: SKIPPED: the Paho interoperability suite is not at $(PAHO_TESTING) (set PAHO_TESTING=<paho.mqtt.testing checkout>)"
else ifeq ($(strip $(INTEROP_HAPROXY)),)
check-interop: $(INTEROP_BINS)
	@PAHO_TESTING='$(PAHO_TESTING)' $(TOP)/tests/lib/matrix.sh check-interop \
		$(TOP)/tests/interop/test_interop.py --args '$(INTEROP_RUN_ARGS)' \
		$(call test_entries,full,$(INTEROP_SERIES))
else
check-interop:
	PAHO_TESTING='$(PAHO_TESTING)' $(TOP)/tests/interop/test_interop.py $(INTEROP_HAPROXY) -- $(INTEROP_RUN_ARGS)
endif
check: check-interop
