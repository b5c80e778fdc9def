# mqttparse: top-level build. Every output goes under $(BUILD)/.
#   make                 library + examples
#   make check           every test (unit, sanitizers, symbols, oracle, fuzz replay, end-to-end)
#   make install PREFIX=/usr/local DESTDIR=
#   make haproxy         HAProxy with the addon compiled in -> build/bin/haproxy
#   make demo            three mosquitto brokers behind HAProxy on 127.0.0.1:1883
#   make coverage | fuzz | fuzz-run | bench | bench-parser
#   FAST_PATH=0          the library without its accelerator (fast.c)
# Each part keeps its rules in its own folder's *.mk file.

.DEFAULT_GOAL := all
TOP     := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD   ?= $(TOP)/build
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
WARN    := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wconversion -Wno-sign-conversion
OPT     ?= -O2 -g
PYTHON  ?= /usr/bin/python3

.PHONY: all check install clean deps
all:

# Debian packages for everything below (idempotent; apt-get only when missing).
deps:
	@$(TOP)/scripts/install-deps.sh
# Serial make builds prerequisites left to right: deps come first.
check: deps

include libmqttparse/lib.mk
# Before the tests: it defines the HAProxy series (HAP_SERIES_AVAILABLE, ...)
# that test makefiles may test at parse time.
-include haproxy-addon/addon.mk
-include examples/examples.mk
-include tests/tests.mk
-include fuzz/fuzz.mk
-include bench/bench.mk
-include scripts/demo.mk

clean:
	rm -rf $(BUILD)
