# tests/e2e: end-to-end tests of the HAProxy addon (real HAProxy with the
# addon, mosquitto brokers, paho and raw clients, all on 127.0.0.1), across
# HAProxy versions:
#   the whole suite          on $(E2E_FULL_SERIES)   (default 3.0 3.4)
#   the smoke subset         on $(E2E_SMOKE_SERIES)  (default 2.6 2.8 3.2 3.5-dev):
#                            addon in -vv, stickiness (hash.cfg, stick on, basic.cfg),
#                            refusals, a CONNECT larger than the buffer
# Each version's binary is haproxy-addon/addon.mk's build/bin/haproxy-<series>,
# built once and shared with the other suites. A series whose source is a
# release tarball (2.8, 3.2, 3.4, 3.5-dev) is skipped with a "SKIPPED:
# haproxy-3.4.0.tar.gz not in HAPROXY_TARBALLS=<dir>" line when it is absent.
#
#   make check-e2e                        the matrix above (one line per version at the end)
#   make check-e2e E2E_HAPROXY='a b'      the whole suite against given binaries only
#   make check-e2e E2E_ARGS='-k stick -v' suite options (both forms, with or without '--')
#   make check-e2e-smoke                  the smoke subset on every available series
#   make e2e-haproxy                      only build the binaries check-e2e needs
E2E_HAPROXY      ?=
E2E_ARGS         ?=
E2E_FULL_SERIES  ?= 3.0 3.4
E2E_SMOKE_SERIES ?= 2.6 2.8 3.2 3.5-dev

include $(TOP)/tests/lib/lib.mk

E2E_RUN_ARGS  = $(filter-out --,$(E2E_ARGS))
E2E_SMOKE_ONLY = $(filter-out $(E2E_FULL_SERIES),$(E2E_SMOKE_SERIES))
E2E_BINS       = $(addprefix haproxy-,$(call test_usable,$(E2E_FULL_SERIES) $(E2E_SMOKE_ONLY)))

.PHONY: check-e2e check-e2e-smoke e2e-haproxy
e2e-haproxy: $(E2E_BINS)

ifeq ($(strip $(E2E_HAPROXY)),)
check-e2e: $(E2E_BINS)
	@$(TOP)/tests/lib/matrix.sh check-e2e $(TOP)/tests/e2e/run.sh --args '$(E2E_RUN_ARGS)' \
		$(call test_entries,full,$(E2E_FULL_SERIES)) $(call test_entries,smoke,$(E2E_SMOKE_ONLY))
else
check-e2e:
	$(TOP)/tests/e2e/run.sh $(E2E_HAPROXY) -- $(E2E_RUN_ARGS)
endif

check-e2e-smoke: $(addprefix haproxy-,$(call test_usable,$(E2E_FULL_SERIES) $(E2E_SMOKE_ONLY)))
	@$(TOP)/tests/lib/matrix.sh check-e2e-smoke $(TOP)/tests/e2e/run.sh --args '$(E2E_RUN_ARGS)' \
		$(call test_entries,smoke,$(E2E_FULL_SERIES) $(E2E_SMOKE_ONLY))
