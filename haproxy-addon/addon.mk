# haproxy-addon: HAProxy with the MQTT addon compiled in.
#
#   make haproxy            HAProxy $(HAPROXY_VERSION) (default 3.0) -> build/bin/haproxy
#                           and build/bin/haproxy-$(HAPROXY_VERSION)
#   make haproxy-3.0        -> build/bin/haproxy-3.0 (Debian trixie's 3.0 LTS)
#   make haproxy-2.6        -> build/bin/haproxy-2.6 (Debian bookworm's 2.6)
#   make haproxy-all        both series, plus build/bin/haproxy
#   make haproxy-asan       AddressSanitizer build of $(HAPROXY_VERSION) -> build/bin/haproxy-asan
#   make haproxy-fetch      only download + unpack the 2.6 and 3.0 sources (for offline work)
#   make haproxy-clean      remove the HAProxy trees, objects and binaries (keeps build/cache)
#
# Variables:
#   HAPROXY_VERSION=3.0|2.6   series for `haproxy` / `haproxy-asan` (default 3.0)
#   HAPROXY_SRC=<dir>         use an existing HAProxy tree (any version, e.g. a 3.2 checkout)
#                             instead of fetching one; `haproxy` then builds only that tree.
#                             HAProxy builds in place: its objects land in <dir>.
#   HAPROXY_JOBS=2            parallel jobs of HAProxy's own make
#   HAPROXY_OPTS=...          HAProxy make options (TARGET, USE_*, ERR=1)
#   HAPROXY_EXTRA=...         more HAProxy make options, e.g. USE_LUA=1 V=1
#   HAPROXY_CC=$(CC)          compiler for HAProxy and the addon
#   HAPROXY_ASAN_FLAGS=...    ARCH_FLAGS of the ASan build
#   ADDON_SRCS=...            addon sources (default haproxy-addon/*.c)
#
# How the addon gets in: each addon .c is symlinked into a per-tree object dir
# ($(BUILD)/haproxy-<series>/addon/), and the matching .o paths are passed to
# HAProxy's make as EXTRA_OBJS. HAProxy's own "%.o: %.c $(DEP)" rule then builds
# them with exactly its CFLAGS, defines and -Iinclude, rebuilds them when its
# build options or headers change, and relinks when one changes. ADDINC adds the
# addon and libmqttparse include dirs, ADDLIB the absolute path of libmqttparse.a.
# What HAProxy's make cannot see is handled here before calling it: a changed
# addon/library header deletes the addon objects; a changed configuration
# (sources, flags, tree, library) deletes the addon objects and the binary; a
# newer libmqttparse.a deletes the binary. HAProxy relinks on every run anyway
# (src/version.c is .PHONY), so a no-op `make haproxy` costs ~0.6 s. The sub-make
# runs with a clean MAKEFLAGS, so variables given on our command line (CFLAGS,
# DEBUG, ...) never leak into HAProxy's build, and `make -n` stays a dry run.

HAPROXY_VERSION    ?= 3.0
HAPROXY_SRC        ?=
# Only a HAPROXY_SRC given by the user (command line or environment) selects a
# user tree: other parts' makefiles may give HAPROXY_SRC a default of their own.
HAP_USER_SRC := $(if $(filter command environment,$(firstword $(origin HAPROXY_SRC))),$(strip $(HAPROXY_SRC)))
HAPROXY_JOBS       ?= 2
HAPROXY_CC         ?= $(CC)
HAPROXY_OPTS       ?= TARGET=linux-glibc USE_OPENSSL=1 USE_PCRE2=1 USE_ZLIB=1 ERR=1
HAPROXY_EXTRA      ?=
# ASan needs USE_OBSOLETE_LINKER: its redzones break the __start_/__stop_ section
# walk of HAProxy's initcalls. ARCH_FLAGS reaches both compiler and linker in 2.6 and 3.x.
HAPROXY_ASAN_FLAGS ?= -g -fsanitize=address -fno-omit-frame-pointer
HAPROXY_ASAN_OPTS  ?= USE_OBSOLETE_LINKER=1 ARCH_FLAGS='$(HAPROXY_ASAN_FLAGS)'
HAPROXY_MAKE       ?= make
HAPROXY_FETCH      := HAPROXY_CACHE=$(BUILD)/cache $(TOP)/scripts/fetch-haproxy.sh
HAPROXY_BIN        := $(BUILD)/bin/haproxy

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

# text as the inside of a '...' shell string
hap_sq = $(subst ','\'',$(1))

# $(call hap_build,<tag>,<command printing the tree>,<extra make options>,<binaries>)
# Builds HAProxy from the tree with the addon objects in $(BUILD)/<tag>/addon/.
define hap_build
	@set -e; \
	$(if $(HAP_ADDON_DUPS),echo "haproxy: addon sources with the same file name: $(HAP_ADDON_DUPS)" >&2; exit 1;) \
	src=$$($(2)); \
	if [ ! -f "$$src/Makefile" ] || [ ! -d "$$src/include/haproxy" ]; then \
	  echo "haproxy: '$$src' is not a HAProxy source tree" >&2; exit 1; fi; \
	obj=$(BUILD)/$(1)/addon; mkdir -p "$$obj" $(BUILD)/bin; \
	objs=; for c in $(HAP_ADDON_SRCS); do objs="$$objs $$obj/$$(basename "$$c" .c).o"; done; \
	[ -n "$$objs" ] || echo "haproxy: warning: no addon sources, building plain HAProxy" >&2; \
	cfg="src=$$src "'$(call hap_sq,srcs=$(HAP_ADDON_SRCS) cc=$(HAPROXY_CC) inc=$(HAP_ADDINC) lib=$(HAPROXY_ADDLIB) opts=$(HAPROXY_OPTS) $(3) $(HAPROXY_EXTRA))'; \
	if [ "$$(cat "$$obj/.config" 2>/dev/null)" != "$$cfg" ]; then \
	  rm -f "$$obj"/*.o "$$obj"/*.c "$$src/haproxy"; printf '%s\n' "$$cfg" > "$$obj/.config"; fi; \
	for c in $(HAP_ADDON_SRCS); do ln -sfn "$$c" "$$obj/$$(basename "$$c")"; done; \
	for o in $$objs; do [ -f "$$o" ] || continue; \
	  for h in $(HAP_ADDON_HDRS); do if [ "$$h" -nt "$$o" ]; then rm -f "$$o"; break; fi; done; done; \
	for l in $(HAPROXY_ADDLIB); do \
	  if [ -f "$$l" ] && [ -f "$$src/haproxy" ] && [ "$$l" -nt "$$src/haproxy" ]; then rm -f "$$src/haproxy"; fi; done; \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(HAPROXY_MAKE) -C "$$src" -j$(HAPROXY_JOBS) \
	  $(HAPROXY_OPTS) $(3) $(HAPROXY_EXTRA) CC="$(HAPROXY_CC)" \
	  EXTRA_OBJS="$$objs" ADDINC="$(HAP_ADDINC)" ADDLIB="$(HAPROXY_ADDLIB)" haproxy; \
	for out in $(4); do cp "$$src/haproxy" "$$out.tmp"; mv -f "$$out.tmp" "$$out"; done; \
	echo "haproxy: $(4) <- $$src"
endef

# Per-series targets: haproxy-2.6, haproxy-3.0 (and HAPROXY_VERSION if another one).
HAP_SERIES := $(sort 2.6 3.0 $(HAPROXY_VERSION))
define hap_series_rule
haproxy-$(1): $(HAP_LIB_DEPS)
	$$(call hap_build,haproxy-$(1),$(HAPROXY_FETCH) $(1) $(BUILD)/haproxy-$(1),,$(BUILD)/bin/haproxy-$(1))
endef
$(foreach s,$(HAP_SERIES),$(eval $(call hap_series_rule,$(s))))

ifeq ($(HAP_USER_SRC),)
haproxy: haproxy-$(HAPROXY_VERSION)
	@cp $(BUILD)/bin/haproxy-$(HAPROXY_VERSION) $(HAPROXY_BIN).tmp && mv -f $(HAPROXY_BIN).tmp $(HAPROXY_BIN)
	@echo "haproxy: $(HAPROXY_BIN) is HAProxy $(HAPROXY_VERSION)"

haproxy-all: haproxy-2.6 haproxy-3.0
	@cp $(BUILD)/bin/haproxy-$(HAPROXY_VERSION) $(HAPROXY_BIN).tmp && mv -f $(HAPROXY_BIN).tmp $(HAPROXY_BIN)

# A separate unpacked copy of the tree (from the download cache), so the ASan
# objects never mix with the normal build.
haproxy-asan: $(HAP_LIB_DEPS)
	$(call hap_build,haproxy-$(HAPROXY_VERSION)-asan,$(HAPROXY_FETCH) $(HAPROXY_VERSION) $(BUILD)/haproxy-$(HAPROXY_VERSION)-asan,$(HAPROXY_ASAN_OPTS),$(BUILD)/bin/haproxy-asan $(BUILD)/bin/haproxy-$(HAPROXY_VERSION)-asan)
else
# A user's tree: objects in their tree (HAProxy builds in place), addon objects
# in an object dir of its own, keyed by the tree's path.
HAP_SRC_ABS := $(abspath $(HAP_USER_SRC))
HAP_SRC_TAG := haproxy-src-$(shell printf '%s' '$(HAP_SRC_ABS)' | cksum | cut -d' ' -f1)

haproxy: $(HAP_LIB_DEPS)
	$(call hap_build,$(HAP_SRC_TAG),cd "$(HAP_SRC_ABS)" && pwd,,$(HAPROXY_BIN))

haproxy-all: haproxy haproxy-2.6 haproxy-3.0

# The ASan build of a user's tree works on a copy (sources only, mtimes kept,
# so unchanged files are not recompiled) in $(BUILD)/<tag>-asan/src.
haproxy-asan: $(HAP_LIB_DEPS)
	$(call hap_build,$(HAP_SRC_TAG)-asan,mkdir -p $(BUILD)/$(HAP_SRC_TAG)-asan/src && tar -C "$(HAP_SRC_ABS)" -cf - --exclude=./.git --exclude='*.o' --exclude='*.a' --exclude=./haproxy --exclude='./.build_opts*' . | tar -C $(BUILD)/$(HAP_SRC_TAG)-asan/src -xf - && echo $(BUILD)/$(HAP_SRC_TAG)-asan/src,$(HAPROXY_ASAN_OPTS),$(BUILD)/bin/haproxy-asan)
endif

haproxy-fetch:
	@$(HAPROXY_FETCH) 2.6 $(BUILD)/haproxy-2.6
	@$(HAPROXY_FETCH) 3.0 $(BUILD)/haproxy-3.0

haproxy-clean:
	rm -rf $(BUILD)/haproxy-* $(BUILD)/bin/haproxy $(BUILD)/bin/haproxy-*

.PHONY: haproxy haproxy-all haproxy-asan haproxy-fetch haproxy-clean $(addprefix haproxy-,$(HAP_SERIES))
