# haproxy-addon: HAProxy with the MQTT addon compiled in.
#
#   make haproxy            HAProxy $(HAPROXY_VERSION) (default 3.0) -> build/bin/haproxy
#                           (and build/bin/haproxy-$(HAPROXY_VERSION))
#   make haproxy-<series>   -> build/bin/haproxy-<series>, for the series
#       2.6, 3.0            Debian's bookworm 2.6 / trixie 3.0 LTS (upstream orig tarball
#                           from the signed index, scripts/fetch-haproxy.sh)
#       2.8, 3.2, 3.4, 3.5-dev   upstream release tarballs in $(HAPROXY_TARBALLS),
#                           checked against its SHA256SUMS
#   make haproxy-all        every series available here, plus build/bin/haproxy
#   make haproxy-asan       AddressSanitizer build of $(HAPROXY_VERSION) -> build/bin/haproxy-asan
#   make haproxy-fetch      only download + unpack the 2.6 and 3.0 sources (for offline work)
#   make haproxy-clean      remove the HAProxy trees, objects and binaries (keeps build/cache)
#
# Variables:
#   HAPROXY_VERSION=3.0       series for `haproxy` / `haproxy-asan` (any of $(HAP_ALL_SERIES))
#   HAPROXY_TARBALL=<file>    build `haproxy` (and `haproxy-asan`) from a release tarball as
#                             published on haproxy.org (e.g. haproxy-3.4.0.tar.gz); its
#                             SHA-256 is printed, HAPROXY_SHA256SUMS=<file> checks it
#   HAPROXY_SRC=<dir>         use an existing HAProxy tree (any version) instead;
#                             HAProxy builds in place: its objects land in <dir>.
#   HAPROXY_TARBALLS=<dir>    a directory of release tarballs (haproxy-3.4.0.tar.gz, ...)
#                             and the SHA256SUMS they are checked against (default
#                             ../shared/haproxy beside the checkout, as in CI;
#                             HAPROXY_SHARED=<dir> is its old name and still works)
#   HAPROXY_JOBS=2            parallel jobs of HAProxy's own make when ours is serial
#                             (under make -jN, HAProxy's make shares our job slots)
#   HAPROXY_OPTS=...          HAProxy make options (TARGET, USE_*)
#   HAPROXY_ERR=1             ERR= of every HAProxy build (-Werror)
#   HAPROXY_EXTRA=...         more HAProxy make options, e.g. USE_LUA=1 V=1
#   HAPROXY_CC=$(CC)          compiler for HAProxy and the addon
#   HAPROXY_ASAN_FLAGS=...    ARCH_FLAGS of the ASan build
#   ADDON_SRCS=...            addon sources (default haproxy-addon/*.c)
#
# For other makefiles (this file is included before them):
#   HAP_ALL_SERIES            2.6 2.8 3.0 3.2 3.4 3.5-dev
#   HAP_SHARED_SERIES         the series whose tarball is in $(HAPROXY_TARBALLS)
#   HAP_SERIES_AVAILABLE      the series buildable here (Debian's + HAP_SHARED_SERIES)
#   HAP_SERIES_MISSING        the others (their targets fail with a clear message);
#                             HAP_MISSING_WHY says why, for skip messages
#
# How the addon gets in: each addon .c is symlinked into a per-tree object dir
# ($(BUILD)/haproxy-<series>/addon/), and the matching .o paths are passed to
# HAProxy's make as EXTRA_OBJS. HAProxy's own "%.o: %.c $(DEP)" rule then builds
# them with exactly its CFLAGS, defines and -Iinclude, rebuilds them when its
# build options or headers change, and relinks when one changes. ADDINC adds the
# addon and libmqttparse include dirs, ADDLIB the absolute path of libmqttparse.a.
# What HAProxy's make cannot see is handled here before calling it: a changed
# addon/library header deletes the addon objects; a changed configuration
# (sources, flags, tree and the tarball it came from, library) deletes the addon
# objects and the binary; a newer libmqttparse.a deletes the binary. Each
# version has its own tree and object dir, so builds of different versions run
# in parallel (make -j2) without sharing anything but the download cache (which
# fetch-haproxy.sh locks). HAProxy relinks on every run anyway (src/version.c is
# .PHONY), so a no-op `make haproxy` costs ~0.6 s. The sub-make runs with a clean
# MAKEFLAGS (only our jobserver is passed on), so variables given on our command
# line (CFLAGS, DEBUG, ...) never leak into HAProxy's build; `make -n` stays a
# dry run.
# A user's own build (haproxy-addon/README.md, section 1) takes the same
# sources and include dirs: Makefile.mk for HAProxy 3.4's EXTRA_MAKE (every
# haproxy-addon/*.c, as ADDON_SRCS here), EXTRA_OBJS before 3.4;
# tests/build/ builds both ways.

HAPROXY_VERSION    ?= 3.0
# Only a HAPROXY_SRC / HAPROXY_TARBALL given by the user (command line or
# environment) selects a user tree: other parts' makefiles may give them a
# default of their own.
hap_user = $(if $(filter command environment,$(firstword $(origin $(1)))),$(strip $($(1))))
HAP_USER_SRC     := $(call hap_user,HAPROXY_SRC)
HAP_USER_TARBALL := $(call hap_user,HAPROXY_TARBALL)
# HAPROXY_SHARED: the variable's old name, still read.
HAPROXY_TARBALLS ?= $(or $(HAPROXY_SHARED),$(TOP)/../shared/haproxy)
HAP_TARBALL_DIR  := $(abspath $(HAPROXY_TARBALLS))
HAPROXY_ERR        ?= 1
HAPROXY_JOBS       ?= 2
HAPROXY_CC         ?= $(CC)
HAPROXY_OPTS       ?= TARGET=linux-glibc USE_OPENSSL=1 USE_PCRE2=1 USE_ZLIB=1
HAPROXY_EXTRA      ?=
# ASan needs USE_OBSOLETE_LINKER: its redzones break the __start_/__stop_ section
# walk of HAProxy's initcalls. ARCH_FLAGS reaches both compiler and linker in 2.6 and 3.x.
HAPROXY_ASAN_FLAGS ?= -g -fsanitize=address -fno-omit-frame-pointer
# -O1 (OPT_CFLAGS, 2.7+; 2.6 ignores it): the usual level for ASan, and the
# build takes 74 s instead of 102 s on 2 idle cores.
HAPROXY_ASAN_OPTS  ?= USE_OBSOLETE_LINKER=1 ARCH_FLAGS='$(HAPROXY_ASAN_FLAGS)' OPT_CFLAGS=-O1
HAPROXY_MAKE       ?= make

# Every .c of the directory, never a hand list (Makefile.mk takes the same).
ADDON_SRCS ?= $(wildcard $(TOP)/haproxy-addon/*.c)
HAP_ADDON_SRCS = $(abspath $(ADDON_SRCS))
HAP_ADDON_DUPS = $(strip $(foreach n,$(sort $(notdir $(HAP_ADDON_SRCS))),$(if $(filter-out 1,$(words $(filter %/$(n),$(HAP_ADDON_SRCS)))),$(n))))
HAP_ADDON_DIRS = $(patsubst %/,%,$(sort $(dir $(HAP_ADDON_SRCS))))
# libmqttparse (libmqttparse/lib.mk defines LIB_A, LIB_INC and the rule for LIB_A;
# without them the addon is linked without the library).
HAPROXY_ADDLIB ?= $(LIB_A)
HAP_LIB_DEPS    = $(filter $(LIB_A),$(HAPROXY_ADDLIB))
HAP_ADDINC      = $(addprefix -I,$(HAP_ADDON_DIRS) $(LIB_INC))
HAP_ADDON_HDRS  = $(wildcard $(addsuffix /*.h,$(HAP_ADDON_DIRS) $(LIB_INC)))

# HAPROXY_FETCH <series> <dir> prints a Debian series' tree (also used by bench.mk);
# a HAPROXY_TARBALL given to make does not reach it.
HAP_FETCH_SCRIPT   := HAPROXY_CACHE=$(BUILD)/cache $(TOP)/scripts/fetch-haproxy.sh
HAPROXY_FETCH      := HAPROXY_TARBALL= HAPROXY_SHA256SUMS= $(HAP_FETCH_SCRIPT)
HAPROXY_BIN        := $(BUILD)/bin/haproxy

# Where each series' source comes from.
HAP_ALL_SERIES    := 2.6 2.8 3.0 3.2 3.4 3.5-dev
HAP_DEBIAN_SERIES := 2.6 3.0
HAP_TARBALL_2.8     := haproxy-2.8.0.tar.gz
HAP_TARBALL_3.2     := haproxy-3.2.0.tar.gz
HAP_TARBALL_3.4     := haproxy-3.4.0.tar.gz
HAP_TARBALL_3.5-dev := haproxy-3.5-dev5.tar.gz
HAP_SHARED_SERIES    := $(strip $(foreach s,$(filter-out $(HAP_DEBIAN_SERIES),$(HAP_ALL_SERIES)),$(if $(wildcard $(HAP_TARBALL_DIR)/$(HAP_TARBALL_$(s))),$(s))))
HAP_SERIES_AVAILABLE := $(filter $(HAP_DEBIAN_SERIES) $(HAP_SHARED_SERIES),$(HAP_ALL_SERIES))
HAP_SERIES_MISSING   := $(filter-out $(HAP_SERIES_AVAILABLE),$(HAP_ALL_SERIES))
HAP_MISSING_WHY      := $(if $(HAP_SERIES_MISSING),HAProxy $(HAP_SERIES_MISSING): their tarballs are not in HAPROXY_TARBALLS=$(HAP_TARBALL_DIR) (set HAPROXY_TARBALLS=<dir> of release tarballs with their SHA256SUMS))

# text as the inside of a '...' shell string
hap_sq = $(subst ','\'',$(1))

# Messages (kept out of $(if ...) arguments, where a comma would split them).
hap_msg_unknown = haproxy: unknown HAProxy series '$(1)' (known: $(HAP_ALL_SERIES)); use HAPROXY_TARBALL=<file> or HAPROXY_SRC=<dir>
hap_msg_noshared = haproxy-$(1): $(HAP_TARBALL_$(1)) not in HAPROXY_TARBALLS=$(HAP_TARBALL_DIR); set HAPROXY_TARBALLS=<dir> (release tarballs and their SHA256SUMS), or use make haproxy HAPROXY_TARBALL=<file>

# $(call hap_fetch,<series>,<destdir>): a command that prints the tree of <series>.
hap_fetch = $(if $(filter $(HAP_DEBIAN_SERIES),$(1)),$(call hap_fetch_debian,$(1),$(2)),$(if $(HAP_TARBALL_$(1)),$(call hap_fetch_shared,$(1),$(2)),{ echo '$(call hap_sq,$(hap_msg_unknown))' >&2; exit 1; }))
hap_fetch_debian = $(HAPROXY_FETCH) $(1) $(2)
hap_fetch_shared = { [ -f '$(HAP_TARBALL_DIR)/$(HAP_TARBALL_$(1))' ] || { echo '$(call hap_sq,$(hap_msg_noshared))' >&2; exit 1; }; } && \
	HAPROXY_TARBALL='$(HAP_TARBALL_DIR)/$(HAP_TARBALL_$(1))' HAPROXY_SHA256SUMS='$(HAP_TARBALL_DIR)/SHA256SUMS' $(HAP_FETCH_SCRIPT) $(1) $(2)

# HAProxy's make gets our jobserver (a '+' line) so that `make -j2` of two
# versions runs 2 jobs in all, not 2 each; under `make -n` the line is only shown.
HAP_JOBFLAGS = $(filter -j% --jobserver-auth=% --jobserver-fds=%,$(MAKEFLAGS))
HAP_JOBS_OPT = $(if $(filter --jobserver-%,$(MAKEFLAGS)),,-j$(HAPROXY_JOBS))
hap_submake  = $(if $(findstring n,$(firstword -$(MAKEFLAGS))),@,+@)

# $(call hap_build,<tag>,<command printing the tree>,<extra make options>,<binaries>)
# Builds HAProxy from the tree with the addon objects in $(BUILD)/<tag>/addon/.
# First line: get the tree, prepare the object dir; second: HAProxy's make.
define hap_build
	@set -e; \
	$(if $(HAP_ADDON_DUPS),echo "haproxy: addon sources with the same file name: $(HAP_ADDON_DUPS)" >&2; exit 1;) \
	src=$$($(2)); \
	if [ ! -f "$$src/Makefile" ] || [ ! -d "$$src/include/haproxy" ]; then \
	  echo "haproxy: '$$src' is not a HAProxy source tree" >&2; exit 1; fi; \
	obj=$(BUILD)/$(1)/addon; mkdir -p "$$obj" $(BUILD)/bin; \
	objs=; for c in $(HAP_ADDON_SRCS); do objs="$$objs $$obj/$$(basename "$$c" .c).o"; done; \
	[ -n "$$objs" ] || echo "haproxy: warning: no addon sources, building plain HAProxy" >&2; \
	origin=$$(cat "$$src/.haproxy-origin" 2>/dev/null || true); \
	cfg="src=$$src origin=$$origin "'$(call hap_sq,srcs=$(HAP_ADDON_SRCS) cc=$(HAPROXY_CC) inc=$(HAP_ADDINC) lib=$(HAPROXY_ADDLIB) opts=$(HAPROXY_OPTS) ERR=$(HAPROXY_ERR) $(3) $(HAPROXY_EXTRA))'; \
	if [ "$$(cat "$$obj/.config" 2>/dev/null)" != "$$cfg" ]; then \
	  rm -f "$$obj"/*.o "$$obj"/*.c "$$src/haproxy"; printf '%s\n' "$$cfg" > "$$obj/.config"; fi; \
	for c in $(HAP_ADDON_SRCS); do ln -sfn "$$c" "$$obj/$$(basename "$$c")"; done; \
	for o in $$objs; do [ -f "$$o" ] || continue; \
	  for h in $(HAP_ADDON_HDRS); do if [ "$$h" -nt "$$o" ]; then rm -f "$$o"; break; fi; done; done; \
	for l in $(HAPROXY_ADDLIB); do \
	  if [ -f "$$l" ] && [ -f "$$src/haproxy" ] && [ "$$l" -nt "$$src/haproxy" ]; then rm -f "$$src/haproxy"; fi; done; \
	printf '%s\n' "$$src" > $(BUILD)/$(1)/.src; printf '%s\n' "$$objs" > $(BUILD)/$(1)/.objs
	$(hap_submake)set -e; src=$$(cat $(BUILD)/$(1)/.src); objs=$$(cat $(BUILD)/$(1)/.objs); \
	env -u MFLAGS -u MAKELEVEL MAKEFLAGS='$(HAP_JOBFLAGS)' $(HAPROXY_MAKE) -C "$$src" $(HAP_JOBS_OPT) \
	  $(HAPROXY_OPTS) ERR=$(HAPROXY_ERR) $(3) $(HAPROXY_EXTRA) CC="$(HAPROXY_CC)" \
	  EXTRA_OBJS="$$objs" ADDINC="$(HAP_ADDINC)" ADDLIB="$(HAPROXY_ADDLIB)" haproxy; \
	for out in $(4); do cp "$$src/haproxy" "$$out.tmp"; mv -f "$$out.tmp" "$$out"; done; \
	echo "haproxy: $(4) <- $$src"
endef

# Per-series targets haproxy-<series> (and one for an unknown HAPROXY_VERSION,
# which fails saying so). Each has its tree and objects in $(BUILD)/haproxy-<series>.
define hap_series_rule
haproxy-$(1): $$(HAP_LIB_DEPS)
	$$(call hap_build,haproxy-$(1),$$(call hap_fetch,$(1),$(BUILD)/haproxy-$(1)),,$(BUILD)/bin/haproxy-$(1))
endef
HAP_SERIES_TARGETS := $(sort $(HAP_ALL_SERIES) $(HAPROXY_VERSION))
$(foreach s,$(HAP_SERIES_TARGETS),$(eval $(call hap_series_rule,$(s))))

ifneq ($(and $(HAP_USER_SRC),$(HAP_USER_TARBALL)),)
$(error HAPROXY_SRC and HAPROXY_TARBALL are both given: use one)
endif

ifneq ($(HAP_USER_SRC),)
# A user's tree: objects in their tree (HAProxy builds in place), addon objects
# in an object dir of its own, keyed by the tree's path.
HAP_SRC_ABS := $(abspath $(HAP_USER_SRC))
HAP_SRC_TAG := haproxy-src-$(shell printf '%s' '$(HAP_SRC_ABS)' | cksum | cut -d' ' -f1)

haproxy: $(HAP_LIB_DEPS)
	$(call hap_build,$(HAP_SRC_TAG),cd "$(HAP_SRC_ABS)" && pwd,,$(HAPROXY_BIN))

# The ASan build of a user's tree works on a copy (sources only, mtimes kept,
# so unchanged files are not recompiled) in $(BUILD)/<tag>-asan/src.
haproxy-asan: $(HAP_LIB_DEPS)
	$(call hap_build,$(HAP_SRC_TAG)-asan,mkdir -p $(BUILD)/$(HAP_SRC_TAG)-asan/src && tar -C "$(HAP_SRC_ABS)" -cf - --exclude=./.git --exclude='*.o' --exclude='*.a' --exclude=./haproxy --exclude='./.build_opts*' . | tar -C $(BUILD)/$(HAP_SRC_TAG)-asan/src -xf - && echo $(BUILD)/$(HAP_SRC_TAG)-asan/src,$(HAPROXY_ASAN_OPTS),$(BUILD)/bin/haproxy-asan)
else ifneq ($(HAP_USER_TARBALL),)
# A release tarball: unpacked (and checked, its SHA-256 shown) into a tree of
# its own, keyed by the tarball's path; the ASan build unpacks another copy.
HAP_TAR_ABS := $(abspath $(HAP_USER_TARBALL))
HAP_TAR_TAG := haproxy-tar-$(shell printf '%s' '$(HAP_TAR_ABS)' | cksum | cut -d' ' -f1)
hap_fetch_tar = HAPROXY_TARBALL='$(call hap_sq,$(HAP_TAR_ABS))' $(HAP_FETCH_SCRIPT) - $(1)

haproxy: $(HAP_LIB_DEPS)
	$(call hap_build,$(HAP_TAR_TAG),$(call hap_fetch_tar,$(BUILD)/$(HAP_TAR_TAG)),,$(HAPROXY_BIN))

haproxy-asan: $(HAP_LIB_DEPS)
	$(call hap_build,$(HAP_TAR_TAG)-asan,$(call hap_fetch_tar,$(BUILD)/$(HAP_TAR_TAG)-asan),$(HAPROXY_ASAN_OPTS),$(BUILD)/bin/haproxy-asan)
else
haproxy: haproxy-$(HAPROXY_VERSION)
	@cp $(BUILD)/bin/haproxy-$(HAPROXY_VERSION) $(HAPROXY_BIN).tmp && mv -f $(HAPROXY_BIN).tmp $(HAPROXY_BIN)
	@echo "haproxy: $(HAPROXY_BIN) is HAProxy $(HAPROXY_VERSION)"

# A separate unpacked copy of the tree (from the download cache or the
# tarball), so the ASan objects never mix with the normal build.
haproxy-asan: $(HAP_LIB_DEPS)
	$(call hap_build,haproxy-$(HAPROXY_VERSION)-asan,$(call hap_fetch,$(HAPROXY_VERSION),$(BUILD)/haproxy-$(HAPROXY_VERSION)-asan),$(HAPROXY_ASAN_OPTS),$(BUILD)/bin/haproxy-asan $(BUILD)/bin/haproxy-$(HAPROXY_VERSION)-asan)
endif

haproxy-all: haproxy $(addprefix haproxy-,$(HAP_SERIES_AVAILABLE))
	$(if $(HAP_SERIES_MISSING),@echo 'haproxy-all: skipped $(call hap_sq,$(HAP_MISSING_WHY))')

haproxy-fetch:
	@$(call hap_fetch,2.6,$(BUILD)/haproxy-2.6)
	@$(call hap_fetch,3.0,$(BUILD)/haproxy-3.0)

haproxy-clean:
	rm -rf $(BUILD)/haproxy-* $(BUILD)/bin/haproxy $(BUILD)/bin/haproxy-*

.PHONY: haproxy haproxy-all haproxy-asan haproxy-fetch haproxy-clean $(addprefix haproxy-,$(HAP_SERIES_TARGETS))
