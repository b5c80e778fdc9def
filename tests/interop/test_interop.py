#!/usr/bin/python3
"""The Eclipse Paho MQTT interoperability suites through basic.cfg: each suite
(client_test.py, MQTT 3.1.1; client_test5.py, MQTT 5.0) runs from where it lies
(never copied) directly against a fresh mosquitto and, at the same time,
through HAProxy with examples/haproxy/basic.cfg in front of a second fresh
mosquitto configured the same way; the per-test results must be identical.

    test_interop.py [--haproxy BIN]... [--paho DIR] [--test-timeout S] [-k paho_5] [-v] [--keep]

--paho: the suite's checkout (default ../shared/third-party/paho.mqtt.testing
beside this project, or $PAHO_TESTING); absent, the run is skipped with one
line. A test whose result differs between the two ways is run again both
ways, up to --reruns times (some of the suites' tests race with themselves,
see README.md): it counts as the same once a re-run agrees, with a line
saying so; one that differs every time fails the check. Prints per suite:
"interop 3.1.1: direct 9/10, through haproxy-3.0 9/10, identical".
"""

import glob
import os
import subprocess
import sys
import threading

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from mqtttest import (TOP, Suite, broker_env, check, free_port, main,  # noqa: E402
                      matrix_argv, read_text)

PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
DRIVER = os.path.join(HERE, "paho_driver.py")
DEFAULT_PAHO = os.environ.get("PAHO_TESTING") or os.path.join(
    os.path.dirname(TOP), "shared", "third-party", "paho.mqtt.testing")
SUITES = {"3.1.1": "client_test.py", "5.0": "client_test5.py"}
# mosquitto's plugin that can refuse a subscription (its acl_file cannot in 2.0)
DYNSEC = sorted(glob.glob("/usr/lib/*/mosquitto_dynamic_security.so") +
                glob.glob("/usr/lib/mosquitto_dynamic_security.so"))
# Anonymous clients may do anything but subscribe to the suites' "test/nosubscribe"
# (their subscribe_failure tests expect a refusal code in the SUBACK).
DYNSEC_JSON = """{
  "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true,
                       "subscribe": true, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "nosubscribe"}]}],
  "roles": [{"rolename": "nosubscribe", "acls": [{"acltype": "subscribeLiteral",
             "topic": "test/nosubscribe", "priority": 0, "allow": false}]}],
  "anonymousGroup": "anonymous"
}
"""


class Interop(Suite):
    name_width = 10
    show_doc = False
    log_tail = 2000
    paho = DEFAULT_PAHO
    test_timeout = 45
    reruns = 3
    verbose = False

    def configure(self, args):
        self.paho = os.path.abspath(args.paho)
        self.test_timeout = args.test_timeout
        self.reruns = args.reruns
        self.verbose = args.v

    def run(self, args):
        if not args.list and not os.path.isfile(self.script("3.1.1")):
            print("interop: SKIPPED: the Paho interoperability suite is not at %s "
                  "(--paho DIR or PAHO_TESTING=DIR)" % self.paho)
            print("0 passed, 0 failed")
            return 0
        return super().run(args)

    def script(self, version):
        return os.path.join(self.paho, "interoperability", SUITES[version])


SUITE = Interop("interop")


def broker(env, name):
    """A fresh mosquitto as the suites want it; its port. Both runs of a suite
    get one each, configured the same way."""
    # started as root, mosquitto reads its plugin's file as user "mosquitto"
    os.chmod(env.dir, 0o711)
    # [MQTT-3.1.2-21] a 5.0 keep alive above the broker's maximum comes back as
    # Server Keep Alive: test_server_keep_alive asks 120 and expects 60
    extra = "max_keepalive 60\n"
    if DYNSEC:
        js = env.write_cfg("%s-dynsec.json" % name, DYNSEC_JSON)
        os.chmod(js, 0o644)
        extra += "plugin %s\nplugin_opt_config_file %s\n" % (DYNSEC[0], js)
    return env.broker(name, extra=extra, marker=False)


def suite_tests(script):
    """The test names of a Paho suite (its Test class), in the order unittest runs them."""
    code = ("import runpy, sys, unittest; sys.dont_write_bytecode = True; "
            "sys.path.insert(0, sys.argv[2]); g = runpy.run_path(sys.argv[1], run_name='paho'); "
            "print('\\n'.join(unittest.TestLoader().getTestCaseNames(g['Test'])))")
    out = subprocess.run([PY, "-c", code, script, os.path.dirname(script)],
                         capture_output=True, text=True, timeout=60)
    names = out.stdout.split()
    if out.returncode != 0 or not names:
        raise RuntimeError("cannot list the tests of %s: %s" % (script, out.stderr[-800:]))
    return names


def run_suite(env, script, port, tag, names, timeout):
    """Run names of script against 127.0.0.1:port with paho_driver.py; returns
    {test: (status, seconds)} for every name (NOTRUN if the driver ended
    without reaching it). Output in <tag>.log, results in <tag>.results."""
    results_path = os.path.join(env.dir, "%s.results" % tag)
    log_path = os.path.join(env.dir, "%s.log" % tag)
    out = {}
    todo = list(names)
    while todo:
        open(results_path, "w").close()
        e = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        with open(log_path, "a") as lf:
            p = subprocess.Popen([PY, DRIVER, script, "127.0.0.1", str(port), results_path,
                                  "--timeout", str(timeout)] + todo,
                                 stdout=lf, stderr=subprocess.STDOUT, cwd=env.dir, env=e)
            try:
                p.wait(timeout * len(todo) + 60)
                killed = False
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                killed = True
        got = {}
        for line in read_text(results_path).splitlines():
            f = line.split("\t")
            if len(f) == 3:
                got[f[0]] = (f[1], float(f[2]))
        out.update(got)
        rest = [n for n in todo if n not in got]
        if not killed or not rest:
            for n in rest:
                out[n] = ("NOTRUN", 0.0)
            break
        # a test the driver's alarm could not interrupt: it hung, the others run again
        out[rest[0]] = ("TIMEOUT", float(timeout))
        todo = rest[1:]
    return out


def both_ways(env, script, direct_port, hap_port, tag, names):
    """Run names directly and through HAProxy at the same time; (direct, through)."""
    res = {}

    def one(key, port):
        try:
            res[key] = run_suite(env, script, port, "%s-%s" % (tag, key), names,
                                 SUITE.test_timeout)
        except Exception as e:    # reported below, not lost in the thread
            res[key] = e

    ts = [threading.Thread(target=one, args=a) for a in (("direct", direct_port),
                                                         ("haproxy", hap_port))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for k in ("direct", "haproxy"):
        if isinstance(res[k], Exception):
            raise res[k]
    return res["direct"], res["haproxy"]


def passed(results):
    return sum(1 for s, _ in results.values() if s == "ok")


def compare(env, version):
    script = SUITE.script(version)
    names = suite_tests(script)
    direct_port = broker(env, "direct")
    behind_port = broker(env, "behind")
    lp = free_port()
    # every server line of basic.cfg on the one broker: the balancer is transparent
    # only if clients that talk to each other share a broker
    env.haproxy_run(recipe="basic.cfg", env=broker_env([behind_port] * 3, lp), ports=[lp])
    hap = os.path.basename(env.haproxy)
    tag = "v" + version.replace(".", "")
    direct, through = both_ways(env, script, direct_port, lp, tag, names)
    check(passed(direct) > 0, "interop %s: no test passed directly, the suite did not run "
          "(see %s-direct.log)" % (version, tag))
    first = {n: (direct[n][0], through[n][0]) for n in names if direct[n][0] != through[n][0]}
    notes, todo = [], sorted(first)
    for i in range(SUITE.reruns):
        if not todo:
            break
        d2, t2 = both_ways(env, script, direct_port, lp, "%s-rerun%d" % (tag, i + 1), todo)
        for n in todo:
            if d2[n][0] == t2[n][0]:
                notes.append("%s differed (direct %s, through %s), the same on re-run %d (%s)"
                             % (n, first[n][0], first[n][1], i + 1, d2[n][0]))
                direct[n], through[n] = d2[n], t2[n]
            else:
                notes.append("%s differs on re-run %d: direct %s, through %s"
                             % (n, i + 1, d2[n][0], t2[n][0]))
        todo = [n for n in todo if direct[n][0] != through[n][0]]
    differ = [n for n in names if direct[n][0] != through[n][0]]
    summary = "interop %s: direct %d/%d, through %s %d/%d, %s" % (
        version, passed(direct), len(names), hap, passed(through), len(names),
        "identical" if not differ else "DIFFERENT (%s)" % ", ".join(differ))
    if first and not differ:
        summary += " after re-running %s" % ", ".join(sorted(first))
    print("      " + summary, flush=True)
    for n in notes:
        print("      " + n, flush=True)
    others = ["%s %s" % (n, direct[n][0]) for n in names if direct[n][0] != "ok"]
    if others:
        print("      not passing either way (the broker's doing): %s" % ", ".join(others),
              flush=True)
    if SUITE.verbose or differ:
        for n in names:
            print("        %-32s direct %-7s %5.1fs   through %-7s %5.1fs" % (
                n, direct[n][0], direct[n][1], through[n][0], through[n][1]))
    check(not differ, summary + "; logs: %s-direct.log, %s-haproxy.log in the kept dir (--keep)"
          % (tag, tag))


@SUITE.test(smoke=True)
def paho_311(env):
    """client_test.py (MQTT 3.1.1): the same per-test results directly and through basic.cfg"""
    compare(env, "3.1.1")


@SUITE.test(smoke=True)
def paho_5(env):
    """client_test5.py (MQTT 5.0): the same per-test results directly and through basic.cfg"""
    compare(env, "5.0")


def options(ap):
    ap.add_argument("--paho", default=DEFAULT_PAHO,
                    help="checkout of paho.mqtt.testing (default %(default)s)")
    ap.add_argument("--test-timeout", type=int, default=45,
                    help="seconds after which a Paho test is interrupted (default %(default)s)")
    ap.add_argument("--reruns", type=int, default=3,
                    help="times a test that differs is run again both ways (default %(default)s)")


if __name__ == "__main__":
    sys.exit(main(SUITE, __doc__, matrix_argv(sys.argv[1:]), extra_args=options))
