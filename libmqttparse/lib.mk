# libmqttparse: static + shared library, pkg-config file, install.
LIB_DIR   := $(TOP)/libmqttparse
LIB_INC   := $(LIB_DIR)/include
LIB_SRCS  := $(wildcard $(LIB_DIR)/src/*.c)
LIB_HDRS  := $(wildcard $(LIB_INC)/*.h) $(wildcard $(LIB_DIR)/src/*.h)
LIB_SOMAJOR := 1
LIB_SOVER := 1.0.0
# FAST_PATH=0 builds the library without the accelerator (src/fast.c): the
# state machine alone, same API. Each build has its objects in its own folder.
FAST_PATH ?= 1
ifeq ($(filter 0 1,$(FAST_PATH)),)
$(error FAST_PATH must be 0 or 1, not '$(FAST_PATH)')
endif
lib_objdir = $(BUILD)/obj/lib$(if $(filter 0,$(1)),-nofast)
LIB_OBJDIR := $(call lib_objdir,$(FAST_PATH))
LIB_OBJS  := $(patsubst $(LIB_DIR)/src/%.c,$(LIB_OBJDIR)/%.o,$(LIB_SRCS))
LIB_PICS  := $(LIB_OBJS:.o=.pic.o)
LIB_A     := $(BUILD)/lib/libmqttparse.a
LIB_SO    := $(BUILD)/lib/libmqttparse.so.$(LIB_SOVER)
LIB_PC    := $(BUILD)/lib/pkgconfig/libmqttparse.pc
LIB_CFLAGS := -std=c99 $(WARN) $(OPT) -I$(LIB_INC)
# Holds the FAST_PATH of the last build; rewritten only when it changes, so
# what links the library (or compiles its sources) is rebuilt on a switch.
LIB_FAST_STAMP := $(BUILD)/obj/fast-path
# The library without the accelerator, whatever FAST_PATH is: `make check`
# runs the unit, oracle, inspect and fuzz replay suites against it too.
LIB_A_NOFAST := $(BUILD)/lib-nofast/libmqttparse.a
LIB_OBJS_NOFAST := $(patsubst $(LIB_DIR)/src/%.c,$(call lib_objdir,0)/%.o,$(LIB_SRCS))

all: $(LIB_A) $(LIB_SO) $(LIB_PC)
lib: $(LIB_A) $(LIB_SO) $(LIB_PC)
.PHONY: lib

# Object rules of one build: $(1) is its FAST_PATH.
define lib_obj_rules
$(call lib_objdir,$(1))/%.o: $(LIB_DIR)/src/%.c $(LIB_HDRS)
	@mkdir -p $$(@D)
	$$(CC) $$(LIB_CFLAGS) -DMQTTP_FAST_PATH=$(1) -c $$< -o $$@
$(call lib_objdir,$(1))/%.pic.o: $(LIB_DIR)/src/%.c $(LIB_HDRS)
	@mkdir -p $$(@D)
	$$(CC) $$(LIB_CFLAGS) -DMQTTP_FAST_PATH=$(1) -fPIC -c $$< -o $$@
endef
$(foreach f,0 1,$(eval $(call lib_obj_rules,$(f))))

$(LIB_FAST_STAMP): lib-fast-path-force
	@mkdir -p $(@D); [ "$$(cat $@ 2>/dev/null)" = "$(FAST_PATH)" ] || echo "$(FAST_PATH)" > $@
.PHONY: lib-fast-path-force

$(LIB_A): $(LIB_OBJS) $(LIB_FAST_STAMP)
$(LIB_A_NOFAST): $(LIB_OBJS_NOFAST)
$(LIB_A) $(LIB_A_NOFAST):
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(filter %.o,$^)
$(LIB_SO): $(LIB_PICS) $(LIB_FAST_STAMP)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libmqttparse.so.$(LIB_SOMAJOR) -o $@ $(filter %.o,$^)
	ln -sf libmqttparse.so.$(LIB_SOVER) $(BUILD)/lib/libmqttparse.so.$(LIB_SOMAJOR)
	ln -sf libmqttparse.so.$(LIB_SOMAJOR) $(BUILD)/lib/libmqttparse.so
$(LIB_PC): $(LIB_DIR)/libmqttparse.pc.in $(TOP)/Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIB_SOVER)|g' $< > $@

# The public headers: what install copies and what may declare an export.
LIB_PUB_HDRS := $(LIB_INC)/mqttparse.h $(LIB_INC)/mqttcodec.h $(LIB_INC)/mqttws.h
# Linker-defined names a shared object may export besides the library's own.
LIB_LD_SYMS  := _init _fini _edata _end __bss_start

# The library must reference no allocator (and no stdio), and export only
# mqttp_ symbols that a public header declares: read its symbol tables.
# Headers are preprocessed first, so a name in a comment declares nothing.
check-symbols: $(LIB_A) $(LIB_SO) $(LIB_PUB_HDRS)
	@bad=$$(nm -u $(LIB_A) | awk '{print $$2}' | grep -Ex '(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|printf|fprintf|puts|fopen|write|read|abort|exit)' | sort -u); \
	if [ -n "$$bad" ]; then echo "check-symbols: FAIL, the library references: $$bad"; exit 1; fi; \
	exp=$$(nm -D --defined-only $(LIB_SO) | awk '$$2=="T"||$$2=="D"||$$2=="R"||$$2=="B" {print $$3}' | grep -v '^mqttp_' | grep -v '^_' ); \
	if [ -n "$$exp" ]; then echo "check-symbols: FAIL, exported symbols without the mqttp_ prefix: $$exp"; exit 1; fi; \
	decl=$$(for h in $(LIB_PUB_HDRS); do $(CC) -std=c99 -E -P -I$(LIB_INC) -x c $$h || echo '#error'; done); \
	case "$$decl" in *'#error'*) echo "check-symbols: FAIL, a public header does not preprocess"; exit 1;; esac; \
	undecl=$$(nm -D --defined-only $(LIB_SO) | awk '{print $$NF}' | sed 's/@.*//' | sort -u | \
		while read -r s; do \
			case " $(LIB_LD_SYMS) " in *" $$s "*) continue;; esac; \
			printf '%s\n' "$$decl" | grep -qw -- "$$s" || echo "$$s"; \
		done); \
	if [ -n "$$undecl" ]; then echo "check-symbols: FAIL, exported but declared in no public header ($(notdir $(LIB_PUB_HDRS))):" $$undecl; exit 1; fi; \
	echo "check-symbols: ok, $$(nm -D --defined-only $(LIB_SO) | wc -l) exports, each declared in a public header (undefined: $$(nm -u $(LIB_A) | awk '{print $$2}' | sort -u | tr '\n' ' '))"
.PHONY: check-symbols

install: $(LIB_A) $(LIB_SO) $(LIB_PC)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIB_PUB_HDRS) $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libmqttparse.so.$(LIB_SOVER) $(DESTDIR)$(PREFIX)/lib/libmqttparse.so.$(LIB_SOMAJOR)
	ln -sf libmqttparse.so.$(LIB_SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libmqttparse.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(LIB_SOVER)|g' $(LIB_DIR)/libmqttparse.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libmqttparse.pc
