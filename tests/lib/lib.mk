# tests/lib/lib.mk: what the suites' makefiles (tests/e2e/e2e.mk,
# tests/fault/fault.mk, ...) share: which HAProxy series can be tested here,
# and the entries of tests/lib/matrix.sh. Included by each of them (once).
ifndef TEST_LIB_MK
TEST_LIB_MK := 1

# Series whose source is a release tarball of HAPROXY_TARBALLS=<dir>, and
# which of those exist here: HAP_SHARED_SERIES from haproxy-addon/addon.mk
# (included first); the same test on the tarball names if that makefile does
# not define it (HAPROXY_SHARED: the variable's old name).
TEST_SHARED_DIR     := $(or $(HAP_TARBALL_DIR),$(abspath $(or $(HAPROXY_TARBALLS),$(HAPROXY_SHARED),$(TOP)/../shared/haproxy)))
TEST_NEEDS_SHARED   := 2.8 3.2 3.4 3.5-dev
test_tarball         = $(or $(HAP_TARBALL_$(1)),haproxy-$(if $(filter 3.5-dev,$(1)),3.5-dev5,$(1).0).tar.gz)
TEST_SHARED_PRESENT := $(if $(filter undefined,$(origin HAP_SHARED_SERIES)),$(foreach s,$(TEST_NEEDS_SHARED),$(if $(wildcard $(TEST_SHARED_DIR)/$(call test_tarball,$(s))),$(s))),$(HAP_SHARED_SERIES))
# usable: not from a release tarball, or its tarball is there
test_usable          = $(foreach s,$(1),$(if $(filter $(TEST_NEEDS_SHARED),$(s)),$(filter $(TEST_SHARED_PRESENT),$(s)),$(s)))
test_missing         = $(filter-out $(call test_usable,$(1)),$(1))
test_skip_why        = $(call test_tarball,$(1)) not in HAPROXY_TARBALLS=$(TEST_SHARED_DIR) (set HAPROXY_TARBALLS=<dir> of release tarballs with their SHA256SUMS)
# matrix.sh entries: SERIES:MODE:BIN, SERIES:skip:REASON
test_entries         = $(foreach s,$(call test_usable,$(2)),$(s):$(1):$(BUILD)/bin/haproxy-$(s)) \
                       $(foreach s,$(call test_missing,$(2)),'$(s):skip:$(call test_skip_why,$(s))')

endif
