# tests/build: HAProxy built with the addon by hand, exactly as
# haproxy-addon/README.md section 1 tells a user (tests/build/README.md):
#   make check-build-by-hand-3.4   3.4.0 from its release tarball, EXTRA_MAKE
#   make check-build-by-hand-2.6   Debian's 2.6 source (fetch-haproxy.sh), EXTRA_OBJS
# Each starts from a freshly unpacked tree in $(BUILD)/by-hand/<series>, apart
# from the project's own trees; 3.4 is skipped when its tarball is absent.
include $(TOP)/tests/lib/lib.mk

BY_HAND_DIR          := $(BUILD)/by-hand
BY_HAND_SERIES       := 3.4 2.6
BY_HAND_HEADING_3.4  := Into your own HAProxy 3.4 or later
BY_HAND_HEADING_2.6  := Into your own HAProxy before 3.4

# The README's `make -C <checkout> lib` then finds the library built.
BY_HAND_TARGETS := $(addprefix check-build-by-hand-,$(BY_HAND_SERIES))
$(BY_HAND_TARGETS): check-build-by-hand-%: $(LIB_A) $(LIB_SO) $(LIB_PC)
	$(if $(call test_usable,$*),$(call by_hand_run,$*),@echo "$@: SKIPPED: $(call test_skip_why,$*)")

# The HAProxy make gets our job slots only, none of our command-line variables.
define by_hand_run
$(hap_submake)set -e; rm -rf $(BY_HAND_DIR)/$(1); \
	tree=$$($(call hap_fetch,$(1),$(BY_HAND_DIR)/$(1))); \
	env -u MFLAGS -u MAKELEVEL MAKEFLAGS='$(or $(HAP_JOBFLAGS),-j$(HAPROXY_JOBS))' \
	  BUILD='$(BUILD)' FAST_PATH='$(FAST_PATH)' \
	  $(TOP)/tests/build/by-hand.sh $(1) '$(BY_HAND_HEADING_$(1))' "$$tree"
endef

check: check-build-by-hand
check-build-by-hand: $(BY_HAND_TARGETS)
.PHONY: check-build-by-hand $(BY_HAND_TARGETS)
