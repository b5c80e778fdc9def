# The MQTT addon as an external HAProxy addon, for HAProxy 3.4 and later:
#
#   cd /path/to/haproxy-3.4.0
#   make TARGET=linux-glibc EXTRA_MAKE=/path/to/mqttparse/haproxy-addon
#
# HAProxy's Makefile includes this file (EXTRA_MAKE=<dir> reads <dir>/Makefile.mk)
# after its USE_* options and before its link rule, with the HAProxy tree as the
# current directory. It appends to OPTIONS_OBJS and OPTIONS_CFLAGS:
#   - every *.c of this directory, compiled with HAProxy's own command line
#     (COPTS: its CC, flags, defines and -Iinclude) into addons/mqttparse/ of the
#     HAProxy tree, so each tree has its own objects;
#   - libmqttparse.a, built there from this checkout's libmqttparse/src with
#     HAProxy's CC and its code-generation flags (OPT_CFLAGS, ARCH_FLAGS,
#     CPU_CFLAGS, CFLAGS), so a clang, -m32 or sanitizer build links a library
#     compiled the same way; nothing needs building in the checkout first.
# Variables (on HAProxy's make command line):
#   MQTTP_LIB=<file.a>|<link flags>   link this libmqttparse instead (e.g. one
#                                     installed by `make install`); MQTTP_LIB_INC
#                                     is then its include directory
#   MQTTP_OBJDIR=addons/mqttparse      object directory, in the HAProxy tree
# `make clean` in the HAProxy tree (with the same EXTRA_MAKE) removes MQTTP_OBJDIR.
# HAProxy 3.3 and older have no EXTRA_MAKE: see README.md, section 1.

# Rules below must not become HAProxy's default goal (its `all` comes later).
MQTTP_GOAL     := $(.DEFAULT_GOAL)
MQTTP_DIR      := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
MQTTP_TOP      := $(abspath $(MQTTP_DIR)/..)
MQTTP_OBJDIR   ?= addons/mqttparse
MQTTP_LIB      ?=
MQTTP_LIB_INC  ?= $(MQTTP_TOP)/libmqttparse/include

# The same source list as the project's own build (addon.mk: haproxy-addon/*.c).
MQTTP_SRCS     := $(wildcard $(MQTTP_DIR)/*.c)
MQTTP_OBJS     := $(patsubst $(MQTTP_DIR)/%.c,$(MQTTP_OBJDIR)/%.o,$(MQTTP_SRCS))
MQTTP_HDRS     := $(wildcard $(MQTTP_DIR)/*.h $(MQTTP_LIB_INC)/*.h)
ifeq ($(MQTTP_SRCS),)
  $(error EXTRA_MAKE=$(MQTTP_DIR): no addon sources (*.c) there)
endif

OPTIONS_CFLAGS += -I$(MQTTP_DIR) -I$(MQTTP_LIB_INC)
OPTIONS_OBJS   += $(MQTTP_OBJS)

# HAProxy's DEP (its headers and .build_opts) is defined after this file is
# read, so the objects name the same files themselves (or DEP if given).
MQTTP_HAP_DEP  := $(if $(filter command line,$(origin DEP)),$(DEP),$(wildcard include/*/*.h) .build_opts)

$(MQTTP_OBJS): $(MQTTP_OBJDIR)/%.o: $(MQTTP_DIR)/%.c $(MQTTP_HDRS) $(MQTTP_HAP_DEP)
	@mkdir -p $(@D)
	$(cmd_CC) $(COPTS) -c -o $@ $<

ifeq ($(strip $(MQTTP_LIB)),)
# The library's own sources: its flags, not HAProxy's warnings or defines
# (it is plain C99 with no HAProxy header); ERR=1 makes its warnings errors too.
MQTTP_LIB_SRCDIR := $(MQTTP_TOP)/libmqttparse/src
MQTTP_LIB_SRCS   := $(wildcard $(MQTTP_LIB_SRCDIR)/*.c)
MQTTP_LIB_OBJS   := $(patsubst $(MQTTP_LIB_SRCDIR)/%.c,$(MQTTP_OBJDIR)/lib/%.o,$(MQTTP_LIB_SRCS))
MQTTP_LIB_A      := $(MQTTP_OBJDIR)/libmqttparse.a
MQTTP_LIB_CFLAGS  = -std=c99 -Wall -Wextra $(ERROR_CFLAGS) $(OPT_CFLAGS) $(ARCH_FLAGS) $(CPU_CFLAGS) $(TARGET_CFLAGS) $(CFLAGS) -I$(MQTTP_LIB_INC)
ifeq ($(MQTTP_LIB_SRCS),)
  $(error EXTRA_MAKE=$(MQTTP_DIR): libmqttparse sources not found in $(MQTTP_LIB_SRCDIR); set MQTTP_LIB=<libmqttparse.a>)
endif

# An archive among the objects: linked after the addon objects that use it.
OPTIONS_OBJS += $(MQTTP_LIB_A)

$(MQTTP_LIB_OBJS): $(MQTTP_OBJDIR)/lib/%.o: $(MQTTP_LIB_SRCDIR)/%.c $(wildcard $(MQTTP_LIB_SRCDIR)/*.h $(MQTTP_LIB_INC)/*.h) .build_opts
	@mkdir -p $(@D)
	$(cmd_CC) $(MQTTP_LIB_CFLAGS) -c -o $@ $<

$(MQTTP_LIB_A): $(MQTTP_LIB_OBJS)
	@rm -f $@
	$(cmd_AR) rcs $@ $^
else ifneq ($(filter %.a,$(lastword $(MQTTP_LIB))),)
OPTIONS_OBJS += $(MQTTP_LIB)
else
OPTIONS_LDFLAGS += $(MQTTP_LIB)
endif

clean: mqttp-clean
mqttp-clean:
	rm -rf $(MQTTP_OBJDIR)
.PHONY: mqttp-clean

.DEFAULT_GOAL := $(MQTTP_GOAL)
