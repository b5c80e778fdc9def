#!/usr/bin/env python3
"""results.py: write one benchmark's section of bench/RESULTS.md.

    bench/results.py SECTION OUTPUT [--results FILE] [--targets FILE]
                     [--command CMD] [--cc CC] [--opt OPT] [--fast-path 0|1]
                     [--note NAME=TEXT]...

SECTION is parser, lb, ws or filter; OUTPUT is what bench/<SECTION>-bench.sh
printed (build/bench/parser.txt, lb.txt, ws.txt, filter.txt). The section gets the date, the
commit, the machine, the command and the figures as tables, with every target
of bench/targets.txt that names one of its figures marked met or missed; the
other sections of the file are kept as they are. The targets are also printed.
"""
import argparse
import datetime
import fcntl
import fnmatch
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

SECTIONS = {
    "parser": "Parser: libmqttparse against HAProxy's src/mqtt.c",
    "lb": "Balancer: CONNECT to CONNACK through HAProxy",
    "ws": "MQTT over WebSocket through HAProxy",
    "filter": "The addon on every packet: PUBLISH streams and idle sessions",
}
# The section a target belongs to, by its figure's prefix (else parser).
PREFIXES = {"lb_": "lb", "ws_": "ws", "filter_": "filter"}
# Environment variables that change what a section's benchmark does.
SETTINGS = {
    "parser": ("BENCH_RUNS", "BENCH_RUN_MS", "BENCH_STAT", "BENCH_NO_CALLGRIND",
               "BENCH_HAP_SERIES", "HAPROXY_SRC"),
    "lb": ("LB_ROUNDS", "LB_CONC", "LB_COUNT", "LB_IDLE", "LB_CONFIGS",
           "LB_CALLGRIND", "LB_CG_COUNT", "LB_CG_REPEAT", "LB_CG_WARM", "LB_CG_OPTS"),
    "ws": ("WS_ROUNDS", "WS_CONC", "WS_COUNT", "WS_CALLGRIND"),
    "filter": ("FB_ROUNDS", "FB_PUBS", "FB_SIZES", "FB_CG_SIZES", "FB_SCALE", "FB_IDLE",
               "FB_CALLGRIND", "FB_CG_REPEAT", "FB_CG_OPTS"),
}
PREAMBLE = """# Benchmark results

Written by `make bench` ([results.py](results.py)); `make bench-parser`,
`make bench-lb`, `make bench-ws` and `make bench-filter` each rewrite their own
section and keep the others. How to run the benchmarks and what every figure means:
[README.md](README.md). The targets: [targets.txt](targets.txt). Time figures
move from run to run on a shared machine; instruction counts (callgrind) do not.
"""


class Target:
    def __init__(self, pattern, op, raw, tol, fast_only):
        self.pattern, self.op, self.raw, self.value = pattern, op, raw, float(raw)
        self.tol, self.fast_only = tol, fast_only
        self.bound = self.value * (1 + tol / 100) if tol is not None else self.value

    def matches(self, name):
        return fnmatch.fnmatchcase(name, self.pattern)

    def met(self, x):
        return x >= self.bound if self.op == ">=" else x <= self.bound

    def text(self):
        if self.tol is None:
            return "%s %s" % (self.op, self.raw)
        return "%s %.1f (%s %+g%%)" % (self.op, self.bound, self.raw, self.tol)

    def section(self):
        return next((s for p, s in PREFIXES.items() if self.pattern.startswith(p)), "parser")


def read_targets(path):
    targets = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            w = line.split("#", 1)[0].split()
            if not w:
                continue
            if len(w) < 3 or w[1] not in (">=", "<="):
                sys.exit("%s:%d: expected <figure> >=|<= <value> [+<n>%%] [fast]" % (path, n))
            tol, fast = None, False
            for extra in w[3:]:
                m = re.fullmatch(r"\+([0-9.]+)%", extra)
                if m:
                    tol = float(m.group(1))
                elif extra == "fast":
                    fast = True
                else:
                    sys.exit("%s:%d: unknown word %r" % (path, n, extra))
            try:
                float(w[2])
            except ValueError:
                sys.exit("%s:%d: %r is not a number" % (path, n, w[2]))
            targets.append(Target(w[0], w[1], w[2], tol, fast))
    return targets


def parse_output(path):
    """The `ratio`/`metric` lines (name -> printed value, in order), the names
    of the ratios, and the other lines."""
    figs, ratios, lines = {}, set(), []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            w = line.split()
            if len(w) == 3 and w[0] in ("ratio", "metric"):
                try:
                    float(w[2])
                except ValueError:
                    continue
                figs[w[1]] = w[2]
                if w[0] == "ratio":
                    ratios.add(w[1])
            else:
                lines.append(line)
    return figs, ratios, lines


def run(cmd):
    try:
        out = subprocess.run(cmd, cwd=TOP, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def commit(results):
    """git describe --always --dirty, the results file itself not counted as a change."""
    rev = run(["git", "describe", "--always"]) or "unknown"
    rel = os.path.relpath(os.path.abspath(results), TOP)
    if run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
            ":(exclude)" + rel]):
        rev += "-dirty"
    return rev


def machine(cc):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cpu = cpu or platform.processor() or platform.machine()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    cores = "%d" % (os.cpu_count() or 0)
    if usable != os.cpu_count():
        cores += " (%d usable)" % usable
    compiler = run(shlex.split(cc) + ["--version"]).splitlines()
    return [
        ("CPU", cpu),
        ("Cores", cores),
        ("Kernel", "%s %s" % (platform.system(), platform.release())),
        ("Compiler", compiler[0] if compiler else cc),
        ("Load average", "%.2f, %.2f, %.2f (1, 5, 15 min, when written)" % os.getloadavg()),
    ]


def code(s):
    return "`%s`" % s


def table(head, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


def judge(section, targets, figs, fast_build):
    """(target, name, value, mark) for every figure a target names, and for
    every target of the section that named none."""
    checks, used = [], set()
    for name, val in figs.items():
        for t in targets:
            if not t.matches(name):
                continue
            used.add(t)
            if t.fast_only and not fast_build:
                mark = "n/a (fast build only)"
            else:
                mark = "met" if t.met(float(val)) else "**missed**"
            checks.append((t, name, val, mark))
            break
    for t in targets:
        if t not in used and t.section() == section:
            checks.append((t, t.pattern, "-", "**not measured**"))
    return checks


def targets_md(checks):
    out = ""
    plain = [c for c in checks if c[0].tol is None]
    ref = [c for c in checks if c[0].tol is not None]
    if plain:
        out += "\n### Targets\n\n"
        out += table(["figure", "measured", "target", ""],
                     [(code(n), v, t.text(), m) for t, n, v, m in plain],
                     ["---", "---:", "---", "---"])
    if ref:
        out += "\n### Against the reference figures\n\n"
        if any(c[0].fast_only for c in ref):
            out += "The reference figures are the fast-path build's (FAST_PATH=1).\n\n"
        rows = []
        for t, n, v, m in ref:
            vs = "%+.1f%%" % ((float(v) / t.value - 1) * 100) if v != "-" else "-"
            rows.append((code(n), t.raw, "%s %.1f (%+g%%)" % (t.op, t.bound, t.tol), v, vs, m))
        out += table(["figure", "reference", "bound", "measured", "vs reference", ""], rows,
                     ["---", "---:", "---", "---:", "---:", "---"])
    return out


def get(figs, name):
    return figs.get(name, "-")


def heading(lines, pattern):
    """The text of the first `== ... ==` heading matching pattern."""
    for line in lines:
        m = re.match(r"\s*== (.*) ==\s*$", line)
        if m and re.search(pattern, m.group(1)):
            return m.group(1)
    return None


def parser_md(figs, ratio_names, lines):
    out = ""
    sizes = {}
    for line in lines:
        w = line.split()
        if len(w) == 4 and w[0] == "packet" and w[3] == "bytes":
            sizes[w[1]] = w[2]
    packets = [k[len("ns_ours_feed_"):] for k in figs if k.startswith("ns_ours_feed_")]
    apis = (("ours.feed", "ours_feed"), ("ours.decode", "ours_decode"),
            ("hap.validate", "hap_validate"), ("hap.field(id)", "hap_field"))
    h = heading(lines, r"ns per packet")
    out += "\n### ns per packet\n\n"
    if h:
        out += "%s.\n\n" % h
    out += table(["packet", "bytes"] + [a for a, _ in apis],
                 [[p, sizes.get(p, "-")] + [get(figs, "ns_%s_%s" % (m, p)) for _, m in apis]
                  for p in packets])
    if any(k.startswith("ir_") for k in figs):
        out += "\n### Instructions per packet (callgrind)\n\n"
        out += table(["packet"] + [a for a, _ in apis],
                     [[p] + [get(figs, "ir_%s_%s" % (m, p)) for _, m in apis] for p in packets])
    else:
        out += "\nThe callgrind part did not run: no instruction counts.\n"
    per_packet = {"ns_%s_%s" % (m, p) for _, m in apis for p in packets}
    streams = [k[len("ns_publish_"):-len("_decode")] for k in figs
               if k.startswith("ns_publish_") and k.endswith("_decode")]
    if streams:
        h = heading(lines, r"^PUBLISH decode against framing")
        out += "\n### PUBLISH decode against framing\n\n"
        if h:
            out += "%s; instructions: callgrind.\n\n" % h
        cols = ("frame", "feed", "decode", "struct")
        out += table(["stream"] + ["ns %s" % c for c in cols] + ["decode/frame", "struct/frame"] +
                     ["Ir %s" % c for c in cols] + ["Ir decode/frame", "Ir struct/frame"],
                     [[s] + [get(figs, "ns_publish_%s_%s" % (s, c)) for c in cols] +
                      [get(figs, "publish_%s_%s_vs_frame" % (s, c)) for c in ("decode", "struct")] +
                      [get(figs, "ir_publish_%s_%s" % (s, c)) for c in cols] +
                      [get(figs, "ir_publish_%s_%s_vs_frame" % (s, c)) for c in ("decode", "struct")]
                      for s in streams])
        per_packet |= {"ns_publish_%s_%s" % (s, c) for s in streams for c in cols}
    other = [k for k in figs if k.startswith("ns_") and k not in per_packet]
    if other:
        hs = [h for h in (heading(lines, r"^CONNECT rewrite"), heading(lines, r"^PUBLISH stream"))
              if h]
        out += "\n### Other figures per packet\n\n"
        if hs:
            out += "%s.\n\n" % "; ".join(hs)
        out += table(["figure", "ns", "instructions"],
                     [(code(k), figs[k], get(figs, "ir_" + k[3:])) for k in other])
    ratios = [k for k in figs if k in ratio_names and not k.startswith("ir_")]
    if ratios:
        out += "\n### Ratios (time and instructions; `_vs_haproxy`: >1 = faster than HAProxy)\n\n"
        out += table(["ratio", "time", "instructions"],
                     [(code(k), figs[k], get(figs, "ir_" + k)) for k in ratios])
    return out


def configs_md(figs, ratio_names, context, prefix, cols):
    """context, then one row per configuration from <prefix><metric>_<config> metrics."""
    first = prefix + cols[0][1] + "_"
    configs = [k[len(first):] for k in figs if k.startswith(first) and k not in ratio_names]
    out = "\n### Per configuration\n\n"
    if context:
        out += context + "\n\n"
    out += table(["config"] + [c for c, _ in cols],
                 [[c] + [get(figs, "%s%s_%s" % (prefix, m, c)) for _, m in cols]
                  for c in configs])
    ratios = [k for k in figs if k in ratio_names and k.startswith(prefix)]
    if ratios:
        out += "\n### Ratios\n\nWhat each divides, and which way is better: [README.md](README.md).\n\n"
        out += table(["ratio", "value"], [(code(k), figs[k]) for k in ratios])
    return out


def context(lines, pattern):
    """The two-line heading the load benchmarks print above their table, as one line."""
    for i, line in enumerate(lines):
        if re.match(pattern, line):
            text = line.strip().strip("=").strip()
            if i + 1 < len(lines) and lines[i + 1].strip():
                text += (" " if text.endswith(",") else "; ") + lines[i + 1].strip()
            return text + "."
    return ""


def lb_md(figs, ratio_names, lines):
    cols = (("handshakes/s", "rate"), ("p50 µs", "p50_us"), ("p99 µs", "p99_us"),
            ("errors", "errors"), ("CPU µs/hs", "cpu_us_per_hs"), ("Ir/hs", "ir_per_hs"),
            ("RSS kB", "rss_base_kb"), ("RSS kB, idle conns", "rss_idle_kb"),
            ("kB/conn", "kb_per_conn"))
    return configs_md(figs, ratio_names, context(lines, r"\s*== Balancer: "), "lb_", cols)


def ws_md(figs, ratio_names, lines):
    cols = (("handshakes/s", "rate"), ("p50 µs", "p50_us"), ("p99 µs", "p99_us"),
            ("Ir/hs", "ir_per_hs"))
    return configs_md(figs, ratio_names, context(lines, r"MQTT over WebSocket handshakes"), "ws_", cols)


def filter_md(figs, ratio_names, lines):
    """The PUBLISH streams per payload and configuration, then the idle sessions."""
    configs = ("plain", "basic")
    first = "filter_pub_rate_"
    sizes = []
    for k in figs:
        if k.startswith(first):
            size = k[len(first):].rsplit("_", 1)[0]
            if size not in sizes:
                sizes.append(size)
    out = ""
    if sizes:
        out += "\n### PUBLISH streams\n\n"
        h = context(lines, r"\s*== Filter: QoS 0 PUBLISH")
        if h:
            out += h + " `plain`: plain TCP forwarding; `basic`: examples/haproxy/basic.cfg.\n\n"
        cols = (("msgs/s", "rate"), ("MB/s", "mb_s"), ("CPU ns/msg", "cpu_ns"), ("Ir/msg", "ir"))
        out += table(["payload"] + ["%s %s" % (c, m) for m, _ in cols for c in configs] +
                     ["rate basic/plain", "CPU plain/basic", "Ir plain/basic"],
                     [[s] + [get(figs, "filter_pub_%s_%s_%s" % (f, s, c)) for _, f in cols
                             for c in configs] +
                      [get(figs, "filter_pub_%s_%s_vs_plain_tcp" % (s, r))
                       for r in ("rate", "cpu", "ir")] for s in sizes])
    if "filter_idle_extra_b_per_session" in figs:
        out += "\n### Idle sessions\n\n"
        h = heading(lines, r"idle MQTT sessions")
        if h:
            out += h + ".\n\n"
        cols = (("RSS kB", "rss_base_kb"), ("RSS kB, idle sessions", "rss_kb"),
                ("sessions", "sessions"), ("B/session", "b_per_session"))
        out += table(["config"] + [c for c, _ in cols],
                     [[c] + [get(figs, "filter_idle_%s_%s" % (m, c)) for _, m in cols]
                      for c in configs])
        out += "\nbasic.cfg beyond plain TCP: %s B per idle session.\n" % \
            figs["filter_idle_extra_b_per_session"]
        out += "".join("%s\n" % l.strip() for l in lines if "idle sessions asked" in l)
    return out


def section_md(args, figs, ratio_names, lines, checks):
    s = args.section
    env = ["%s=%s" % (v, shlex.quote(os.environ[v])) for v in SETTINGS[s] if os.environ.get(v)]
    now = datetime.datetime.now(datetime.timezone.utc)
    info = [("Date", now.strftime("%Y-%m-%d %H:%M UTC")),
            ("Commit", code(commit(args.results)))]
    info += machine(args.cc)
    info.append(("Build", "OPT=%s, FAST_PATH=%s" % (args.opt, args.fast_path)))
    for note in args.note:
        k, _, v = note.partition("=")
        info.append((k, v))
    info.append(("Command", code(" ".join(env + [args.command]))))
    out = "## %s\n\n" % SECTIONS[s]
    out += table(["", ""], info, ["---", "---"])
    out += targets_md(checks)
    out += {"parser": parser_md, "lb": lb_md, "ws": ws_md,
            "filter": filter_md}[s](figs, ratio_names, lines)
    return out


def not_run(section):
    return "## %s\n\nNot run yet.\n" % SECTIONS[section]


def splice(old, section, body):
    """old with section's body replaced (every section present, in order)."""
    parts = {}
    for s in SECTIONS:
        m = re.search(r"<!-- begin %s -->\n(.*?)<!-- end %s -->" % (s, s), old, re.S)
        parts[s] = m.group(1).strip("\n") + "\n" if m else not_run(s)
    parts[section] = body
    out = PREAMBLE
    for s in SECTIONS:
        out += "\n<!-- begin %s -->\n%s<!-- end %s -->\n" % (s, parts[s], s)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("section", choices=list(SECTIONS))
    ap.add_argument("output")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--targets", default=os.path.join(HERE, "targets.txt"))
    ap.add_argument("--command", default=None)
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--opt", default="-O2 -g")
    ap.add_argument("--fast-path", default="1")
    ap.add_argument("--note", action="append", default=[])
    args = ap.parse_args()
    args.command = args.command or "make bench-%s" % args.section

    figs, ratio_names, lines = parse_output(args.output)
    if not figs:
        sys.exit("results.py: no ratio or metric lines in %s" % args.output)
    checks = judge(args.section, read_targets(args.targets), figs, args.fast_path != "0")
    body = section_md(args, figs, ratio_names, lines, checks)

    # Two benchmarks finishing at once must not lose each other's section.
    lock = os.open(os.path.dirname(os.path.abspath(args.results)), os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(args.results) as f:
                old = f.read()
        except FileNotFoundError:
            old = ""
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.results)),
                                   prefix=".RESULTS.")
        with os.fdopen(fd, "w") as f:
            f.write(splice(old, args.section, body))
        os.chmod(tmp, 0o644)
        os.replace(tmp, args.results)
    finally:
        os.close(lock)

    for t, n, v, m in checks:
        print("target %-40s %10s  %-22s %s" % (n, v, t.text(), m.strip("*")))
    counted = [c for c in checks if not c[3].startswith("n/a")]
    met = [c for c in counted if c[3] == "met"]  # "not measured" counts as missed
    print("bench: %s: %s; section written to %s" %
          (args.section, "%d of %d targets met" % (len(met), len(counted)) if counted else
           "no targets", os.path.relpath(args.results)))


if __name__ == "__main__":
    main()
