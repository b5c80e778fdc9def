# tests/e2e: end-to-end tests of the HAProxy addon (real HAProxy 2.6 and 3.0,
# mosquitto brokers, paho and raw clients, all on 127.0.0.1).
#   make check-e2e                       build both HAProxy series, run the suite
#   make check-e2e E2E_HAPROXY=/path/bin  run it against given binaries only
#   make check-e2e E2E_ARGS='-- -k stick -v'
E2E_HAPROXY ?=
E2E_ARGS    ?=

ifeq ($(strip $(E2E_HAPROXY)),)
check-e2e: haproxy-2.6 haproxy-3.0
	$(TOP)/tests/e2e/run.sh $(BUILD)/bin/haproxy-2.6 $(BUILD)/bin/haproxy-3.0 $(E2E_ARGS)
else
check-e2e:
	$(TOP)/tests/e2e/run.sh $(E2E_HAPROXY) $(E2E_ARGS)
endif
.PHONY: check-e2e
