# make demo: the main job (scripts/demo.sh). DEMO_PORT=N to listen elsewhere.
# make check-demo: scripts/demo.sh --self-test, the demo started the same way,
# then its printed commands run and checked (part of make check).
demo: deps all haproxy
	@DEMO_PORT=$(DEMO_PORT) BUILD=$(BUILD) HAPROXY_BIN=$(HAPROXY_BIN) $(TOP)/scripts/demo.sh
check-demo: all haproxy
	@BUILD=$(BUILD) HAPROXY_BIN=$(HAPROXY_BIN) $(TOP)/scripts/demo.sh --self-test
.PHONY: demo check-demo
check: check-demo
