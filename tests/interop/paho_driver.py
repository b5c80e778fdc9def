"""Run one of the Paho interoperability suites (client_test.py, client_test5.py)
from where it lies, against HOST:PORT, and write one line per test to RESULTS:
"<test>\t<ok|FAIL|ERROR|TIMEOUT|skip>\t<seconds>".

    /usr/bin/python3 paho_driver.py SCRIPT HOST PORT RESULTS [--timeout S] [TEST...]

The suites read their own options with getopt and then call unittest.main(),
which would reject those options: unittest.main is replaced by a runner that
is given only the selected test names. A test that runs longer than S seconds
(some wait in a loop for a packet a broker may never send) is interrupted.
"""

import os
import runpy
import signal
import sys
import time
import unittest


class TestTimeout(BaseException):
    """Raised in the test by SIGALRM (BaseException: the suites' bare excepts
    re-raise or record it, never retry on it)."""


def main():
    args = sys.argv[1:]
    timeout = 60
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = int(args[i + 1])
        del args[i:i + 2]
    script, host, port, results = args[:4]
    names = ["Test." + n if "." not in n else n for n in args[4:]]
    script = os.path.abspath(script)
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(script))
    out = open(results, "a")
    state = {"t0": 0.0, "timed_out": False, "status": None}

    def on_alarm(signum, frame):
        state["timed_out"] = True
        raise TestTimeout("no result after %d s" % timeout)

    signal.signal(signal.SIGALRM, on_alarm)

    class Recording(unittest.TextTestResult):
        def startTest(self, test):
            state.update(t0=time.time(), timed_out=False, status="ok")
            super().startTest(test)
            signal.alarm(timeout)

        def addFailure(self, test, err):
            state["status"] = "FAIL"
            super().addFailure(test, err)

        def addError(self, test, err):
            state["status"] = "ERROR"
            super().addError(test, err)

        def addSkip(self, test, reason):
            state["status"] = "skip"
            super().addSkip(test, reason)

        def addExpectedFailure(self, test, err):
            state["status"] = "FAIL"
            super().addExpectedFailure(test, err)

        def addUnexpectedSuccess(self, test):
            state["status"] = "FAIL"
            super().addUnexpectedSuccess(test)

        def stopTest(self, test):
            signal.alarm(0)
            super().stopTest(test)
            status = "TIMEOUT" if state["timed_out"] else state["status"]
            out.write("%s\t%s\t%.1f\n" % (test.id().rsplit(".", 1)[-1], status,
                                          time.time() - state["t0"]))
            out.flush()

    real_main = unittest.main

    def suite_main(*a, **k):
        runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=Recording)
        return real_main(argv=[script] + names, testRunner=runner, exit=False)

    unittest.main = suite_main
    sys.argv = [script, "--hostname", host, "--port", str(port)]
    runpy.run_path(script, run_name="__main__")
    out.close()
    # the suites leave client threads behind (paused receivers, unclosed sockets)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
