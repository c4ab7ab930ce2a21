#!/usr/bin/env python3
"""wsbench's CI workflow: one program; tools/gate, tools/ab, tools/instructions
and tools/gate-check are its thin entry points.

  ci.py gate [...]          the regression gate .ci/run calls (tools/gate)
  ci.py ab REV [...]        A/B against another revision here (tools/ab)
  ci.py instructions [...]  instructions per op under callgrind
                            (tools/instructions)
  ci.py gate-check [...]    the gate's own evidence (tools/gate-check)
  ci.py profile-diff B N X  differential flame graph of benchmark X between
                            two wsbench builds (tools/profile-diff)

Every subcommand measures with the same pieces: the release preset built
with cmake, `wsbench` run with ASLR off (setarch -R), A/B pairs run
interleaved with the same seed, `wsbench-compare` judging (it is the only
place statistics and verdicts are computed; this program reads its
verdict JSON). `ci.py SUBCOMMAND --help` describes each.
Exit codes: 0 nothing regressed, 1 regression, 2 error or nothing compared.
Python standard library only.
"""
import argparse
import contextlib
import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROG = "tools/ci"
# Fingerprint fields that make time measurements of two builds incomparable
# (results::FingerprintMismatches has the same list).
TIME_FIELDS = ("cpu_model", "cores", "compiler", "cxx_flags", "build_type")
# The dispatch the instruction counts are pinned to under callgrind: what
# valgrind's virtual CPU (an AVX2 Haswell on any AVX2 host) runs.
PIN_SIMDJSON = "haswell"
PIN_UNMASK = "avx2"


class Failure(Exception):
    """An error that ends the command with exit 2 and one message."""


def say(message):
    print(f"== {PROG}: {message}", file=sys.stderr, flush=True)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Failure(f"cannot read {path}: {e}")


def write_atomically(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def git(*args, cwd=ROOT, check=True):
    proc = subprocess.run(["git", "-C", cwd, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if check and proc.returncode != 0:
        raise Failure(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc


def has_commit(rev):
    return git("cat-file", "-e", f"{rev}^{{commit}}", check=False).returncode == 0


def dirty_files():
    return git("status", "--porcelain", "--untracked-files=no").stdout.strip()


# --- building -------------------------------------------------------------

def build(build_dir, targets, source=ROOT):
    """Configures the release preset into build_dir and builds targets."""
    cmd = ["cmake", "--preset", "release"]
    if os.path.abspath(os.path.join(source, build_dir)) != os.path.join(source, "build", "release"):
        cmd += ["-B", os.path.abspath(os.path.join(source, build_dir))]
    for step in (cmd, ["cmake", "--build", os.path.abspath(os.path.join(source, build_dir)),
                       "--target", *targets]):
        proc = subprocess.run(step, cwd=source, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:])
            raise Failure(f"{' '.join(step)} failed in {source}")


def revision_build(rev):
    """A release build of wsbench at `rev`: build/rev/<commit>/build, from a
    detached worktree build/rev/<commit>/src (kept with the build: wsbench
    reads its thresholds and revision from its source tree). Built once per
    revision and reused by later gates and A/B runs on this clone."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}").stdout.strip()
    home = os.path.join(ROOT, "build", "rev", commit)
    src, out = os.path.join(home, "src"), os.path.join(home, "build")
    binary = os.path.join(out, "bench", "wsbench")
    if os.path.exists(os.path.join(home, "built")) and os.access(binary, os.X_OK):
        say(f"revision {rev} ({commit[:12]}): reusing the build in {out}")
        return out
    if not os.path.isdir(os.path.join(src, ".git")) and not os.path.isfile(os.path.join(src, ".git")):
        shutil.rmtree(home, ignore_errors=True)
        git("worktree", "prune", check=False)
        os.makedirs(home)
        git("worktree", "add", "--detach", src, commit)
    say(f"building revision {rev} ({commit[:12]}) in {out}")
    start = time.monotonic()
    build(out, ["wsbench"], source=src)
    with open(os.path.join(home, "built"), "w") as f:
        f.write(f"{commit} built in {time.monotonic() - start:.0f} s\n")
    say(f"built {commit[:12]} in {time.monotonic() - start:.0f} s "
        f"(kept for reuse; rm -rf build/rev && git worktree prune removes it)")
    return out


# --- measuring ------------------------------------------------------------

def norandom():
    """setarch -R (ASLR off: the same memory layout every run) if it works."""
    try:
        ok = subprocess.run(["setarch", "-R", "true"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode == 0
    except OSError:
        ok = False
    return ["setarch", "-R"] if ok else []


def run_suite(wsbench, out_dir, reps, suite_args=("--quick",)):
    """One wsbench run into out_dir; returns its results.json."""
    log = out_dir + ".log"
    with open(log, "w") as f:
        code = subprocess.run([*norandom(), wsbench, *suite_args, "--repetitions", str(reps),
                               "--out", out_dir], stdout=f, stderr=subprocess.STDOUT).returncode
    if code != 0:
        with open(log) as f:
            sys.stderr.write("".join(f.readlines()[-40:]))
        raise Failure(f"{wsbench} exited with {code} (log: {log})")
    return os.path.join(out_dir, "results.json")


def count_instructions(wsbench, out, levels="light", dimensions="", seed=None, repeat=1,
                       pin=True):
    """instructions.json for `wsbench` (see the instructions subcommand)."""
    if shutil.which("valgrind") is None:
        raise Failure("valgrind is not installed (tools/install-deps installs it)")
    if not os.access(wsbench, os.X_OK):
        raise Failure(f"{wsbench}: not an executable (build the release preset first)")
    valgrind = subprocess.run(["valgrind", "--version"], stdout=subprocess.PIPE,
                              text=True).stdout.strip()
    start = time.monotonic()
    docs = [callgrind_once(wsbench, levels, dimensions, seed, pin, valgrind)
            for _ in range(max(1, repeat))]
    per_run = [{e["name"]: e["instructions"] for e in d["benchmarks"]} for d in docs]
    differing = sorted(n for n in per_run[0] if any(r.get(n) != per_run[0][n] for r in per_run))
    doc = docs[0]
    text = json.dumps(doc, indent=1) + "\n"
    if out == "-":
        sys.stdout.write(text)
    else:
        write_atomically(out, text)
    for e in doc["benchmarks"]:
        print(f"  {e['name']:<28} {e['ops']:>9} ops  {e['instructions']:>13} instr  "
              f"{e['instructions_per_op']:>12.1f} instr/op", file=sys.stderr)
    path = doc["context"]["wsbench"].get("code_path", {})
    seen = (f"; code path: simdjson {path['simdjson']}, unmask {path['unmask']}, "
            f"cpu as seen '{path['cpu']}'" if "simdjson" in path else "; no code path recorded")
    print(f"{PROG}: {len(doc['benchmarks'])} benchmarks, {len(docs)} run(s), "
          f"{time.monotonic() - start:.1f} s{seen}", file=sys.stderr)
    if differing:
        print(f"{PROG}: counts differ between runs for: {', '.join(differing)}",
              file=sys.stderr)
        return 1
    if len(docs) > 1:
        print(f"{PROG}: all counts identical across {len(docs)} runs",
              file=sys.stderr)
    return 0


def can_pin(wsbench):
    """Whether this wsbench's --instructions takes --pin-simdjson/--pin-unmask."""
    proc = subprocess.run([wsbench, "--instructions", "--help"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    return "--pin-simdjson" in proc.stdout


def callgrind_once(wsbench, levels, dimensions, seed, pin, valgrind, keep=None):
    """One `wsbench --instructions` run under callgrind; returns the
    instructions document. keep: {benchmark name: path} copies those
    benchmarks' callgrind dumps (the call graphs) out before cleanup."""
    tmp = tempfile.mkdtemp(prefix="wsbench-instr-")
    try:
        manifest = os.path.join(tmp, "manifest.json")
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
               f"--callgrind-out-file={tmp}/callgrind.out.%p",
               wsbench, "--instructions", "--manifest", manifest, "--levels", levels]
        if dimensions:
            cmd += ["--dimensions", dimensions]
        if seed is not None:
            cmd += ["--seed", str(seed)]
        env = dict(os.environ)
        if pin and can_pin(wsbench):
            cmd += ["--pin-simdjson", PIN_SIMDJSON, "--pin-unmask", PIN_UNMASK]
        elif pin:
            # An older wsbench (e.g. a baseline's revision) has no pins of its
            # own: simdjson's override still works; its code path is not recorded.
            env["SIMDJSON_FORCE_IMPLEMENTATION"] = PIN_SIMDJSON
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env)
        for line in proc.stderr.splitlines():
            if "warning" in line and "wsbench" in line:
                print(line, file=sys.stderr)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            raise Failure(f"wsbench --instructions exited with {proc.returncode}")
        counts = {}
        for path in glob.glob(os.path.join(tmp, "callgrind.out.*")):
            name, total = None, None
            with open(path, errors="replace") as f:
                for line in f:
                    m = re.match(r"desc: Trigger: Client Request: (.*)$", line)
                    if m:
                        name = m.group(1).strip()
                    m = re.match(r"totals:\s+(\d+)", line)
                    if m:
                        total = int(m.group(1))
            if name is not None:
                if total is None:
                    raise Failure(f"{path}: no totals line")
                counts[name] = total
                if keep and name in keep:
                    shutil.copyfile(path, keep[name])
        doc = read_json(manifest)
        for entry in doc["benchmarks"]:
            dump = entry.pop("callgrind_dump", entry["name"])
            if dump not in counts:
                raise Failure(f"no callgrind dump for {dump}")
            ops = entry["ops"]
            entry["instructions"] = counts[dump]
            entry["instructions_per_op"] = counts[dump] / ops if ops else 0.0
        ws = doc["context"]["wsbench"]
        ws["tool"] = "callgrind (valgrind --tool=callgrind)"
        ws.setdefault("code_path", {})["valgrind"] = valgrind
        return doc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Compare:
    """wsbench-compare: every judgement is made there."""

    def __init__(self, build_dir):
        self.binary = os.path.join(build_dir, "tools", "compare", "wsbench-compare")
        if not os.access(self.binary, os.X_OK):
            raise Failure(f"{self.binary}: not built")

    def call(self, *args):
        """Runs a file-producing subcommand (merge, merge-runs, save-baseline)."""
        proc = subprocess.run([self.binary, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        sys.stderr.write(proc.stderr)
        if proc.returncode != 0:
            raise Failure(f"wsbench-compare {args[0]} failed (exit {proc.returncode})")

    def judge(self, args, markdown, verdict):
        """Runs a comparison writing `markdown` and `verdict`; returns
        (exit code, verdict dict). A comparison that could not be made at
        all (bad input: no verdict written) raises Failure."""
        if os.path.exists(verdict):
            os.remove(verdict)
        with open(markdown, "w") as f:
            proc = subprocess.run([self.binary, *args, "--markdown", "-", "--json", verdict],
                                  stdout=f, stderr=subprocess.PIPE, text=True)
        sys.stderr.write(proc.stderr)
        if not os.path.exists(verdict):
            raise Failure(f"wsbench-compare {' '.join(args)}: exit {proc.returncode}, no verdict")
        return proc.returncode, read_json(verdict)


def run_pairs(a_bin, b_bin, work, first, last, reps, suite_args=("--quick",)):
    """Runs A B A B ... for pairs first..last into work/a<i>, work/b<i>;
    returns the results files in pair order [a1, b1, a2, b2, ...]."""
    files = []
    for i in range(first, last + 1):
        for side, binary in (("a", a_bin), ("b", b_bin)):
            say(f"pair {i}/{last}: {side.upper()}")
            files.append(run_suite(binary, os.path.join(work, f"{side}{i}"), reps, suite_args))
    return files


def regressions(verdict_path):
    """The gated regressed rows of a wsbench-compare verdict, by
    (benchmark, metric)."""
    v = read_json(verdict_path)
    return {(r["benchmark"], r["metric"]): dict(r, mode=v.get("mode")) for r in v["rows"]
            if r["verdict"] == "regressed" and r["gated"]}


def confirm_rows(first_verdict, second_verdict):
    """A regression stands only when the same row regressed in both
    measurements: on a shared machine one measurement's worst row out of
    ~60 time rows is often beyond its threshold by chance, the same row
    twice rarely; a real regression, and every exact metric, repeats."""
    first = regressions(first_verdict)
    return [row for key, row in regressions(second_verdict).items() if key in first]


def combine(codes):
    """One exit code from several judgements: a regression anywhere fails;
    otherwise a pass needs at least one comparison that was made."""
    if 1 in codes:
        return 1
    return 0 if 0 in codes else 2


# --- gate -----------------------------------------------------------------

GATE_HELP = """\
The CI gate: measures the working tree and compares it with a baseline
(wsbench-compare prints the Markdown table). What is gated where:
  allocations/op   always, against the baseline;
  instructions/op  against the baseline whenever the code path matches
                   (what callgrind's virtual CPU and the run-time dispatches
                   pinned under it decide; see tools/compare/code_path.h);
                   the row names the dispatch that differs otherwise;
  time             against the baseline when the fingerprints match (same
                   CPU model, cores, compiler, flags): the quick suite run
                   WSBENCH_GATE_RUNS times (3), WSBENCH_GATE_REPETITIONS (3)
                   repetitions each, pooled; up to WSBENCH_GATE_EXTRA_ROUNDS
                   (2) more rounds when the machine probe leaves too few
                   repetitions; a regression is measured again and only
                   rows that regressed both times fail the gate. When they differ, the baseline's recorded git
                   revision is built in a worktree (kept in build/rev/) and run
                   interleaved with the working tree (A B A B ...,
                   WSBENCH_GATE_PAIRS pairs, default 6, same seed); time is
                   gated on the paired ratios; a regression must
                   reproduce (same row) on a second set of pairs. A revision missing
                   from the clone's history is reported in one line and
                   time is then not gated.
On a failing gate, each benchmark whose instructions/op or time regressed
(at most WSBENCH_GATE_DIFF_GRAPHS, default 4, instruction rows first) gets
a differential flame graph (see tools/profile-diff) between the baseline's
revision and the working tree in --out/diff/<name>/, listed at the end of
gate.md; --out/report.html shows the run, the verdict and those links.
Exit: 0 nothing regressed, 1 regression, 2 error or nothing compared.
Files (run logs, gate.md, verdict.json, ab-verdict.json, gate.json,
report.html, diff/) in --out.
"""


def gate_measure(build_dir, out, first, last, reps, compare):
    """Quick suite runs first..last into out/run<i>, all of 1..last pooled
    into out/results.json."""
    wsbench = os.path.join(build_dir, "bench", "wsbench")
    for i in range(first, last + 1):
        say(f"quick suite run {i}/{last} ({reps} repetitions) -> {out}/run{i}")
        run_suite(wsbench, os.path.join(out, f"run{i}"), reps)
    compare.call("merge-runs", os.path.join(out, "results.json"),
                 *[os.path.join(out, f"run{i}", "results.json") for i in range(1, last + 1)])


def gate_same_machine(a, compare, out, instr):
    """Time against the baseline itself; returns (code, [verdict paths])."""
    runs = int(os.environ.get("WSBENCH_GATE_RUNS", "3"))
    reps = int(os.environ.get("WSBENCH_GATE_REPETITIONS", "3"))
    extra_rounds = int(os.environ.get("WSBENCH_GATE_EXTRA_ROUNDS", "2"))

    def judge(d):
        gate_measure(a.build_dir, d, 1, runs, reps, compare)
        rnd = 0
        while True:
            code, verdict = compare.judge([a.baseline, os.path.join(d, "results.json"), *instr],
                                          os.path.join(d, "gate.md"),
                                          os.path.join(d, "verdict.json"))
            ungated = verdict.get("probe_ungated_rows", 0)
            if code != 0 or not ungated or rnd >= extra_rounds:
                return code
            rnd += 1
            say(f"{ungated} time rows had too few repetitions at the baseline's machine "
                f"speed; measuring {runs} more runs (round {rnd} of {extra_rounds})")
            gate_measure(a.build_dir, d, runs * rnd + 1, runs * (rnd + 1), reps, compare)

    code = judge(out)
    rows = list(regressions(os.path.join(out, "verdict.json")).values())
    if code == 1:
        # A host-wide slowdown (a noisy neighbour on the VM's core) can move
        # every dimension by 35% for minutes without showing in wall/CPU
        # time; the exact metrics fail both times, time must reproduce.
        say("regression found; measuring again to confirm it")
        confirm = os.path.join(out, "confirm")
        os.makedirs(confirm, exist_ok=True)
        confirm_code = judge(confirm)
        rows = confirm_rows(os.path.join(out, "verdict.json"),
                            os.path.join(confirm, "verdict.json"))
        code = 2 if confirm_code == 2 else (1 if rows else 0)
        if not rows:
            say("no row regressed in both measurements: the regression did not reproduce "
                f"(first measurement kept as {out}/first-gate.md)")
        for name in ("gate.md", "verdict.json"):
            os.replace(os.path.join(out, name), os.path.join(out, "first-" + name))
            shutil.copy(os.path.join(confirm, name), os.path.join(out, name))
    with open(os.path.join(out, "gate.md")) as f:
        sys.stdout.write(f.read())
    return code, rows


def gate_other_machine(a, compare, out, instr, base_fp, differ):
    """Exact metrics against the baseline, time on an A/B run of the
    baseline's revision; returns (code, regressed rows)."""
    reps = int(os.environ.get("WSBENCH_GATE_REPETITIONS", "3"))
    pairs = int(os.environ.get("WSBENCH_GATE_PAIRS", "6"))
    rev = base_fp.get("git_revision", "")
    wsbench = os.path.join(a.build_dir, "bench", "wsbench")
    say(f"this machine's fingerprint differs from the baseline's in {', '.join(differ)}")
    if not a.base_build and not (re.fullmatch(r"[0-9a-f]{7,40}", rev) and has_commit(rev)):
        print(f"tools/gate: the baseline's revision {rev or '(none)'} is not in this clone's "
              "history: time not gated (allocs/op and instructions/op are gated against "
              "the baseline)", file=sys.stderr)
        runs = int(os.environ.get("WSBENCH_GATE_RUNS", "3"))
        gate_measure(a.build_dir, out, 1, runs, reps, compare)
        code, _ = compare.judge([a.baseline, os.path.join(out, "results.json"), *instr],
                                os.path.join(out, "gate.md"), os.path.join(out, "verdict.json"))
        with open(os.path.join(out, "gate.md")) as f:
            sys.stdout.write(f.read())
        return code, list(regressions(os.path.join(out, "verdict.json")).values())
    if base_fp.get("git_dirty"):
        say(f"note: the baseline was recorded on a tree with uncommitted changes; "
            f"A is its revision {rev[:12]} as committed")
    ab = os.path.join(out, "ab")
    os.makedirs(ab, exist_ok=True)
    if a.base_build:
        a_build = a.base_build
        say(f"A = the baseline's revision, prebuilt in {a_build}")
    else:
        a_build = revision_build(rev)
    a_bin = os.path.join(a_build, "bench", "wsbench")
    a_instr = None
    if instr:
        a_instr = os.path.join(ab, "a-instructions.json")
        if count_instructions(a_bin, a_instr) != 0:
            raise Failure("instruction counts of the baseline's revision do not repeat")

    def judge_pairs(first, last, name):
        files = run_pairs(a_bin, wsbench, ab, first, last, reps)
        if a_instr:  # same machine, same valgrind: counts compare exactly
            merged = []
            for i, f in enumerate(files):
                m = f[:-len(".json")] + "-instr.json"
                compare.call("merge", f, a_instr if i % 2 == 0 else instr[1], m)
                merged.append(m)
            files = merged
        return files, compare.judge(["ab", *files], os.path.join(out, f"{name}.md"),
                                    os.path.join(out, f"{name}-verdict.json"))[0]

    say(f"time on {pairs} interleaved pairs: A = baseline revision {rev[:12]}, "
        "B = working tree")
    files, ab_code = judge_pairs(1, pairs, "ab")
    ab_rows = list(regressions(os.path.join(out, "ab-verdict.json")).values())
    b_runs = [f.replace("-instr.json", ".json") for f in files[1::2]]
    if ab_code == 1:
        say("A/B regression found; measuring another set of pairs to confirm it")
        more, confirm_code = judge_pairs(pairs + 1, 2 * pairs, "ab-confirm")
        b_runs += [f.replace("-instr.json", ".json") for f in more[1::2]]
        ab_rows = confirm_rows(os.path.join(out, "ab-verdict.json"),
                               os.path.join(out, "ab-confirm-verdict.json"))
        ab_code = 2 if confirm_code == 2 else (1 if ab_rows else 0)
        if not ab_rows:
            say(f"no row regressed in both sets of pairs: the A/B regression did not "
                f"reproduce (first judgement kept as {out}/first-ab.md)")
        for suffix in (".md", "-verdict.json"):
            os.replace(os.path.join(out, "ab" + suffix), os.path.join(out, "first-ab" + suffix))
            shutil.copy(os.path.join(out, "ab-confirm" + suffix),
                        os.path.join(out, "ab" + suffix))
    # B's runs, pooled, against the baseline: allocations and instructions.
    compare.call("merge-runs", os.path.join(out, "results.json"), *b_runs)
    base_code, _ = compare.judge([a.baseline, os.path.join(out, "results.json"), *instr],
                                 os.path.join(out, "gate.md"), os.path.join(out, "verdict.json"))
    for name in ("gate.md", "ab.md"):
        with open(os.path.join(out, name)) as f:
            sys.stdout.write(f.read() + "\n")
    print(f"gate: exact metrics against {a.baseline}: exit {base_code}; time on the A/B "
          f"pairs against {rev[:12]}: exit {ab_code}")
    rows = list(regressions(os.path.join(out, "verdict.json")).values()) + ab_rows
    return combine([base_code, ab_code]), rows


def gate_main(argv):
    p = argparse.ArgumentParser(prog="tools/gate", description=GATE_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", default="baselines/ci.json")
    p.add_argument("--build-dir", default="build/release")
    p.add_argument("--out", help="directory for the files (default: a new /tmp one)")
    p.add_argument("--no-build", action="store_true", help="use --build-dir as it is")
    p.add_argument("--no-instructions", action="store_true")
    p.add_argument("--instructions-file",
                   help="instruction counts measured earlier with the same binary")
    p.add_argument("--base-build",
                   help="a release build of the baseline's revision to use for the A/B "
                        "and the differential flame graphs (instead of build/rev/<commit>)")
    p.add_argument("--save-baseline", metavar="NAME",
                   help="measure (5 runs) and write baselines/NAME.json; needs a clean tree")
    a = p.parse_args(argv)
    os.chdir(ROOT)
    start = time.monotonic()
    if a.save_baseline:
        dirty = dirty_files()
        if dirty:
            raise Failure("refusing to record a baseline from a tree with uncommitted changes "
                          "(its revision would not rebuild what was measured); commit or "
                          f"stash first:\n{dirty}")
    elif not os.path.isfile(a.baseline):
        raise Failure(f"no baseline at {a.baseline}; record one on this machine with\n"
                      f"  tools/gate --save-baseline {os.path.basename(a.baseline)[:-5]}")
    if not a.no_build:
        build(a.build_dir, ["wsbench", "wsbench-compare", "wsbench-report",
                            "wsbench-flamegraph"])
    compare = Compare(a.build_dir)
    out = a.out or tempfile.mkdtemp(prefix="wsbench-gate.")
    os.makedirs(out, exist_ok=True)
    wsbench = os.path.join(a.build_dir, "bench", "wsbench")
    instr_file = os.path.join(out, "instructions.json")
    if a.instructions_file:
        shutil.copy(a.instructions_file, instr_file)
    elif not a.no_instructions:
        say(f"instructions per op (callgrind) -> {instr_file}")
        if count_instructions(wsbench, instr_file) != 0:
            raise Failure("instruction counts do not repeat")
    have_instr = os.path.exists(instr_file)

    if a.save_baseline:
        runs = int(os.environ.get("WSBENCH_GATE_RUNS", "5"))
        reps = int(os.environ.get("WSBENCH_GATE_REPETITIONS", "3"))
        gate_measure(a.build_dir, out, 1, runs, reps, compare)
        os.makedirs("baselines", exist_ok=True)
        target = os.path.join("baselines", a.save_baseline + ".json")
        compare.call("save-baseline", os.path.join(out, "results.json"), target,
                     *(["--instructions", instr_file] if have_instr else []))
        say(f"baseline {target} recorded in {time.monotonic() - start:.0f} s")
        return 0

    base = read_json(a.baseline)
    base_fp = base.get("context", {}).get("wsbench", {}).get("fingerprint")
    if base_fp is None:
        raise Failure(f"{a.baseline}: not a wsbench baseline (no context.wsbench.fingerprint)")
    here = (read_json(instr_file) if have_instr else manifest_of(wsbench))
    here_fp = here["context"]["wsbench"]["fingerprint"]
    differ = [k for k in TIME_FIELDS if base_fp.get(k) != here_fp.get(k)]
    instr = ["--new-instructions", instr_file] if have_instr else []
    if differ:
        code, rows = gate_other_machine(a, compare, out, instr, base_fp, differ)
    else:
        code, rows = gate_same_machine(a, compare, out, instr)
    diffs = explain_regressions(a, out, rows, base_fp) if code == 1 else []
    gate_report(a, out, diffs)
    elapsed = time.monotonic() - start
    for r in rows:
        print(f"tools/gate: REGRESSED {r['benchmark']} {r['label']} {r['change_pct']:+.1f}% "
              f"({'A/B pairs' if r['mode'] == 'ab' else 'against the baseline'})",
              file=sys.stderr)
    write_atomically(os.path.join(out, "gate.json"), json.dumps(
        {"exit_code": code, "mode": "ab" if differ else "baseline", "fingerprint_differs": differ,
         "regressions": [{k: r[k] for k in ("benchmark", "metric", "label", "change_pct",
                                            "mode")} for r in rows],
         "diff_graphs": [d["svg"] for d in diffs],
         "seconds": round(elapsed, 1)}, indent=1) + "\n")
    print(f"tools/gate: exit {code} (files in {out}, {elapsed:.0f} s)", file=sys.stderr)
    return code


# What regressed, by where it grew: a differential flame graph per benchmark
# whose instructions/op or time regressed (instructions rows first), at most
# WSBENCH_GATE_DIFF_GRAPHS (default 4) of them.
DIFF_METRICS = ("instructions_per_op", "ops_per_second", "items_per_second",
                "p50_us", "p95_us", "p99_us")


def explain_regressions(a, out, regressed, base_fp):
    """On a failing gate: tools/profile-diff of each regressed benchmark
    between the baseline's revision and the working tree, written to
    out/diff/<name>/ and linked from gate.md. Returns the graphs made."""
    rows = [r for r in regressed if r.get("metric") in DIFF_METRICS]
    names = []
    for r in sorted(rows, key=lambda r: r["metric"] != "instructions_per_op"):
        if re.fullmatch(r"[a-z_]+/[a-z_]+", r["benchmark"]) and r["benchmark"] not in names:
            names.append(r["benchmark"])
    if not names:
        return []
    limit = int(os.environ.get("WSBENCH_GATE_DIFF_GRAPHS", "4"))
    if len(names) > limit:
        say(f"differential flame graphs for the first {limit} of {len(names)} regressed "
            f"benchmarks (WSBENCH_GATE_DIFF_GRAPHS)")
        names = names[:limit]
    rev = base_fp.get("git_revision", "")
    new_bin = os.path.abspath(os.path.join(a.build_dir, "bench", "wsbench"))
    flamegraph = os.path.join(a.build_dir, "tools", "flamegraph", "wsbench-flamegraph")
    try:
        if a.base_build:
            base_build = a.base_build
        elif re.fullmatch(r"[0-9a-f]{7,40}", rev) and has_commit(rev):
            base_build = revision_build(rev)
        else:
            raise Failure(f"the baseline's revision {rev or '(none)'} is not in this clone's "
                          "history")
    except Failure as e:
        say(f"no differential flame graphs: {e}; with a build of the base, run "
            f"tools/profile-diff BASE/bench/wsbench {new_bin} NAME")
        return []
    base_bin = os.path.abspath(os.path.join(base_build, "bench", "wsbench"))
    diffs = []
    for name in names:
        d = os.path.join(out, "diff", name.replace("/", "_"))
        say(f"{name}: callgrind call graphs of {rev[:12]} and the working tree -> {d}")
        try:
            summary = profile_diff(base_bin, new_bin, name, d, flamegraph,
                                   title_base=f"baseline revision {rev[:12]}")
        except Failure as e:
            say(f"no differential flame graph for {name}: {e}")
            continue
        diffs.append(dict(summary, name=name, href=os.path.relpath(summary["svg"], out)))
    if not diffs:
        return []
    lines = ["", "### Where it got slower", "",
             f"Differential flame graphs (instructions per op inside Run, baseline revision "
             f"{rev[:12]} vs the working tree; red grew, blue shrank), next to this file:", ""]
    for d in diffs:
        lines.append(f"- [{d['name']}]({d['href']}): {d['headline_md']}")
    section = "\n".join(lines) + "\n"
    with open(os.path.join(out, "gate.md"), "a") as f:
        f.write(section)
    sys.stdout.write(section)
    print(f"(in {out})")
    return diffs


def gate_report(a, out, diffs):
    """out/report.html: the measured run with the baseline, the verdict and
    the differential flame graphs linked."""
    results, verdict = os.path.join(out, "results.json"), os.path.join(out, "verdict.json")
    report = os.path.join(a.build_dir, "tools", "report", "wsbench-report")
    if not (os.path.exists(results) and os.path.exists(verdict) and os.access(report, os.X_OK)):
        return
    cmd = [report, results, "--baseline", a.baseline, "--verdict", verdict,
           "--html", os.path.join(out, "report.html")]
    for d in diffs:
        cmd += ["--diff-graph", f"{d['name']}={d['href']}|{d['headline']}"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        say(f"no report.html: {proc.stderr.strip()}")
    else:
        say(f"report: {os.path.join(out, 'report.html')}")


def manifest_of(wsbench):
    """The build's fingerprint without valgrind: a dry instructions pass of
    the smallest benchmark."""
    proc = subprocess.run([wsbench, "--instructions", "--dry-run", "--levels", "minimal",
                           "--dimensions", "connections", "--manifest", "-"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise Failure(f"{wsbench} --instructions --dry-run exited with {proc.returncode}")
    return json.loads(proc.stdout)


# --- ab -------------------------------------------------------------------

AB_HELP = """\
A/B comparison against another revision on THIS machine: the honest
comparison when no baseline exists for the machine, and the one to use
before a release. Builds REV (A) in a git worktree with the
release preset (kept under build/rev/<commit> for reuse), builds the working tree (B) in
--build-dir, runs the two interleaved A B A B ... --pairs times (default 6:
the fewest pairs for which the two-sided signed-rank test can reach
p < 0.05) with the same seed and flags (default --quick), and judges the
paired ratios with `wsbench-compare ab`.
Exit: 0 nothing regressed, 1 regression, 2 error or nothing compared.
"""


def ab_main(argv):
    p = argparse.ArgumentParser(prog="tools/ab", description=AB_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("rev")
    p.add_argument("--pairs", type=int, default=6)
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--build-dir", default="build/release")
    p.add_argument("--a-build", help="an existing release build of REV (no worktree)")
    p.add_argument("--no-build", action="store_true", help="use --build-dir as it is")
    p.add_argument("--keep", action="store_true", help="keep the run files")
    p.add_argument("suite_args", nargs="*", help="wsbench flags after --")
    a = p.parse_args(argv)
    # Checked before anything is built.
    if a.pairs < 1:
        raise Failure(f"--pairs {a.pairs}: needs at least 1 pair (6 for a verdict)")
    if a.repetitions < 1:
        raise Failure(f"--repetitions {a.repetitions}: needs at least 1")
    os.chdir(ROOT)
    if not has_commit(a.rev):
        raise Failure(f"unknown revision '{a.rev}'")
    if not a.no_build:
        build(a.build_dir, ["wsbench", "wsbench-compare"])
    compare = Compare(a.build_dir)
    work = tempfile.mkdtemp(prefix="wsbench-ab.")
    try:
        a_build = a.a_build or revision_build(a.rev)
        files = run_pairs(os.path.join(a_build, "bench", "wsbench"),
                          os.path.join(a.build_dir, "bench", "wsbench"), work, 1, a.pairs,
                          a.repetitions, a.suite_args or ["--quick"])
        code, _ = compare.judge(["ab", *files], os.path.join(work, "ab.md"),
                                os.path.join(work, "verdict.json"))
        with open(os.path.join(work, "ab.md")) as f:
            sys.stdout.write(f.read())
        return code
    finally:
        if a.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


# --- instructions ---------------------------------------------------------

INSTRUCTIONS_HELP = """\
Counts instructions per operation with callgrind: the gate's exact metric.
Runs `wsbench --instructions` under valgrind --tool=callgrind
(instrumentation on around Run(0, ops) of each <dimension>/<level> only,
one dump per benchmark) and writes instructions.json: a results.json-shaped
file (context.wsbench.kind = "instructions") whose entries carry "ops",
"instructions" and "instructions_per_op", and whose context.wsbench.code_path
records what decides the path (valgrind's version, the CPU valgrind shows,
simdjson's implementation, the unmask kernel, glibc, zlib, compiler and
flags). Run-time dispatch is pinned (simdjson 'haswell', unmask 'avx2': what
valgrind's virtual CPU runs on any AVX2 host) so counts repeat across CPUs;
a pin the virtual CPU cannot run is reported and the code path records what
ran instead. --repeat N fails (exit 1) unless every count is identical.
Exit: 0 ok, 1 not repeatable or a workload failed, 2 usage/tool error.
"""


def instructions_main(argv):
    p = argparse.ArgumentParser(prog="tools/instructions", description=INSTRUCTIONS_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--wsbench", default=os.path.join(ROOT, "build/release/bench/wsbench"))
    p.add_argument("--out", default="-", help="instructions.json path ('-' = stdout)")
    p.add_argument("--levels", default="light")
    p.add_argument("--dimensions", default="")
    p.add_argument("--seed", type=int)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--no-pin", action="store_true",
                   help="leave simdjson and the unmask kernel to the CPU valgrind shows")
    a = p.parse_args(argv)
    return count_instructions(a.wsbench, a.out, a.levels, a.dimensions, a.seed, a.repeat,
                              pin=not a.no_pin)


# --- gate-check -----------------------------------------------------------

GATE_CHECK_HELP = """\
Evidence that the gate neither cries wolf nor misses a real regression.
Needs three release builds of the same source: unchanged, deliberately
slowed (about 25% more work in one harness's hot path), and +5%
instructions. --make-variants builds the two altered ones outside the tree
from the base build: bench/permissions_bench.cc patched in a temporary copy,
compiled with the base build's own command line, relinked:
  slow:  one extra Rbac::Check on every 4th op (about +25% work);
  instr: 9 more instructions per op (8 opaque adds and a move, +5.4% of
         permissions' 167 instructions/op, about +2% in time).
(a) --n gate runs of the unchanged build: counts failures (must be 0);
(b) --n gate runs of the slowed build: counts failures (must be n), and
    those failing on a time metric;
(c) --n callgrind runs of the +5% build against the baseline: counts
    detections (must be n).
When the baseline's fingerprint differs from this machine's, the gate times
an A/B run of the baseline's revision; gate-check builds that revision once
and passes it to every gate run (--base-build). WSBENCH_GATE_* pass through.
"""


def build_variant(base_build, work, name, code):
    out = os.path.join(work, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "bench"))
    os.makedirs(os.path.join(out, "tools", "compare"))
    src = os.path.join(ROOT, "bench", "permissions_bench.cc")
    with open(src) as f:
        text = f.read()
    anchor = "      checksum += ok ? static_cast<uint64_t>(i) + 1 : 0;\n"
    if text.count(anchor) != 1:
        raise Failure(f"cannot find the per-op loop's last line in {src}")
    patched = os.path.join(out, "permissions_bench.cc")
    with open(patched, "w") as f:
        f.write(text.replace(anchor, anchor + code + "\n"))
    commands = subprocess.run(["ninja", "-t", "commands", "bench/wsbench"], cwd=base_build,
                              stdout=subprocess.PIPE, text=True).stdout.splitlines()
    compile_cmd = next((c for c in commands if "/permissions_bench.cc" in c and " -c " in c), "")
    link_cmd = next((c for c in commands if " -o bench/wsbench " in c), "")
    if not compile_cmd or not link_cmd:
        raise Failure(f"no ninja commands for bench/wsbench in {base_build}")
    obj = os.path.join(out, "permissions_bench.o")
    compile_cmd = re.sub(r" -MD -MT \S+ -MF \S+", "", compile_cmd)
    compile_cmd = re.sub(r" -o \S+ -c \S+", f" -o {obj} -c {patched}", compile_cmd)
    link_cmd = link_cmd.replace("bench/CMakeFiles/wsbench_harnesses.dir/permissions_bench.cc.o",
                                obj).replace(" -o bench/wsbench ",
                                             f" -o {out}/bench/wsbench ")
    for cmd in (compile_cmd, link_cmd):
        if subprocess.run(cmd, shell=True, cwd=base_build).returncode != 0:
            raise Failure(f"building the {name} variant failed")
    os.symlink(os.path.abspath(os.path.join(base_build, "tools", "compare", "wsbench-compare")),
               os.path.join(out, "tools", "compare", "wsbench-compare"))
    say(f"built the {name} variant: {out}/bench/wsbench")
    return out


SLOW_CODE = """\
      static volatile uint64_t gate_check_sink = 0;  // gate-check: +25% work
      if ((i & 3) == 0) {
        gate_check_sink = gate_check_sink + rbac_.Check(manager_->roles(id), Action::kPresence,
                                                        channels_[((op >> 2) + 7) & (kChannels - 1)]);
      }"""
INSTR_CODE = """\
      uint64_t gate_check_pad = 0;  // gate-check: 9 more instructions per op
#pragma GCC unroll 16
      for (int k = 0; k < 8; ++k) asm volatile("add $1, %0" : "+r"(gate_check_pad));"""
TIME_KEYS = {"ops_per_second", "p50_us", "p95_us", "p99_us"}


def gate_check_main(argv):
    p = argparse.ArgumentParser(prog="tools/gate-check", description=GATE_CHECK_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--baseline", default="baselines/ci.json")
    p.add_argument("--base-build", default="build/release")
    p.add_argument("--slow-build")
    p.add_argument("--instr-build")
    p.add_argument("--work")
    p.add_argument("--instr-dimensions", default="")
    p.add_argument("--make-variants", action="store_true")
    p.add_argument("--series", default="unchanged,slowed,instructions",
                   help="which of the three series to run")
    a = p.parse_args(argv)
    os.chdir(ROOT)
    work = a.work or tempfile.mkdtemp(prefix="wsbench-gate-check.")
    os.makedirs(work, exist_ok=True)
    series = set(a.series.split(","))
    if a.make_variants:
        build(a.base_build, ["wsbench", "wsbench-compare"])
        a.slow_build = build_variant(a.base_build, work, "slow", SLOW_CODE)
        a.instr_build = build_variant(a.base_build, work, "instr", INSTR_CODE)
        a.instr_dimensions = a.instr_dimensions or "permissions"
    compare = Compare(a.base_build)
    base_fp = read_json(a.baseline)["context"]["wsbench"]["fingerprint"]
    here_fp = manifest_of(os.path.join(a.base_build, "bench", "wsbench"))["context"]["wsbench"][
        "fingerprint"]
    differ = [k for k in TIME_FIELDS if base_fp.get(k) != here_fp.get(k)]
    base_rev_build = []
    if differ and has_commit(base_fp.get("git_revision", "") or "none"):
        say(f"fingerprints differ ({', '.join(differ)}): the gate times A/B runs of the "
            f"baseline's revision; building it once")
        base_rev_build = ["--base-build", revision_build(base_fp["git_revision"])]

    def series_run(label, build_dir):
        instr = os.path.join(work, f"{label}-instructions.json")
        if count_instructions(os.path.join(build_dir, "bench", "wsbench"), instr) != 0:
            raise Failure(f"{label}: instruction counts do not repeat")
        fails = time_fails = 0
        seconds = []
        for i in range(1, a.n + 1):
            out = os.path.join(work, f"{label}-{i}")
            with open(out + ".log", "w") as log:
                code = subprocess.run(
                    [sys.executable, os.path.abspath(__file__), "gate", "--no-build",
                     "--build-dir", build_dir, "--baseline", a.baseline,
                     "--instructions-file", instr, "--out", out, *base_rev_build],
                    stdout=log, stderr=subprocess.STDOUT).returncode
            if code == 2 or not os.path.exists(os.path.join(out, "gate.json")):
                raise Failure(f"{label} run {i}: gate error (log: {out}.log)")
            summary = read_json(os.path.join(out, "gate.json"))
            seconds.append(summary["seconds"])
            rows = summary["regressions"]
            fails += code == 1
            time_fails += any(r["metric"] in TIME_KEYS for r in rows)
            listed = "; ".join(f"{r['benchmark']} {r['label']} {r['change_pct']:+.1f}% "
                               f"({r['mode']})" for r in rows)
            print(f"  {label} run {i}: exit {code} in {summary['seconds']:.0f} s"
                  f" [{summary['mode']}]: {listed or 'no gated regression'}", flush=True)
        print(f"{label}: {fails} of {a.n} runs failed the gate ({time_fails} on a time "
              f"metric); gate wall time median {sorted(seconds)[len(seconds) // 2]:.0f} s",
              flush=True)

    if "unchanged" in series:
        print(f"== (a) unchanged code vs {a.baseline}, {a.n} runs", flush=True)
        series_run("unchanged", a.base_build)
    if "slowed" in series and a.slow_build:
        print(f"== (b) deliberate slowdown vs {a.baseline}, {a.n} runs", flush=True)
        series_run("slowed", a.slow_build)
    if "instructions" in series and a.instr_build:
        print(f"== (c) +5% instructions vs {a.baseline}, {a.n} callgrind runs", flush=True)
        suite = run_suite(os.path.join(a.instr_build, "bench", "wsbench"),
                          os.path.join(work, "instr-suite"), 3)
        hits = 0
        for i in range(1, a.n + 1):
            counts = os.path.join(work, f"instr-{i}.json")
            with open(counts + ".log", "w") as log, contextlib.redirect_stderr(log):
                count_instructions(os.path.join(a.instr_build, "bench", "wsbench"), counts,
                                   dimensions=a.instr_dimensions)
            code, v = compare.judge([a.baseline, suite, "--new-instructions", counts],
                                    os.path.join(work, f"instr-{i}.md"),
                                    os.path.join(work, f"instr-{i}-verdict.json"))
            rows = [r for r in v["rows"] if r["metric"] == "instructions_per_op"
                    and r["verdict"] == "regressed" and r["gated"]]
            hits += bool(rows)
            print(f"  instructions run {i}: " + ("HIT " if rows else "MISS ") + "; ".join(
                f"{r['benchmark']} {r['base']:.1f} -> {r['new']:.1f} ({r['change_pct']:+.2f}%)"
                for r in rows), flush=True)
        print(f"instructions: {hits} of {a.n} runs detected the rise", flush=True)
    print(f"(files in {work})")
    return 0


# --- profile-diff ---------------------------------------------------------

PROFILE_DIFF_HELP = """\
Where did it get slower? A differential flame graph of one benchmark
between two wsbench builds, from exact callgrind call graphs.

NAME is one <dimension>/<level> (e.g. subscriptions/light). Each build runs
`wsbench --instructions --levels LEVEL --dimensions DIMENSION` under callgrind
exactly as the gate counts instructions per op (a warm-up pass, then
instrumentation only around Run(0, ops), the same fixed seed, run-time
dispatch pinned), so the picture depends only on the two binaries.
`wsbench-flamegraph --diff` draws the new build's call graph coloured by the
change in inclusive instructions per op (red grew, blue shrank) and lists the
functions whose own instructions per op grew most.
Writes to --out (default out/profile-diff/<name>): diff.svg, growth.md (the
list, also printed), base.callgrind and new.callgrind (for callgrind_annotate
or kcachegrind). A failing tools/gate does this itself for each regressed
benchmark (out/diff/<name>/, linked from gate.md and report.html).
Exit: 0 ok, 2 usage or tool error.
"""


def unmarkdown(text):
    """wsbench-flamegraph's Markdown cell text back to plain text."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def profile_diff(base_bin, new_bin, name, out, flamegraph, seed=None, top=10, pin=True,
                 title_base=None):
    """Callgrind call graphs of NAME inside Run for both builds, drawn as
    out/diff.svg with out/growth.md. Returns {"svg", "growth_md",
    "headline" (plain text), "headline_md"}."""
    if not re.fullmatch(r"[a-z_]+/[a-z_]+", name):
        raise Failure(f"'{name}' is not one <dimension>/<level> benchmark name")
    if shutil.which("valgrind") is None:
        raise Failure("valgrind is not installed (tools/install-deps installs it)")
    for binary in (base_bin, new_bin):
        if not os.access(binary, os.X_OK):
            raise Failure(f"{binary}: not an executable")
    if not os.access(flamegraph, os.X_OK):
        raise Failure(f"{flamegraph}: not built (cmake --build build/release "
                      "--target wsbench-flamegraph)")
    os.makedirs(out, exist_ok=True)
    valgrind = subprocess.run(["valgrind", "--version"], stdout=subprocess.PIPE,
                              text=True).stdout.strip()
    dimension, level = name.split("/")
    sides = {}
    for side, binary in (("base", base_bin), ("new", new_bin)):
        dump = os.path.join(out, f"{side}.callgrind")
        if os.path.exists(dump):
            os.remove(dump)
        doc = callgrind_once(binary, level, dimension, seed, pin, valgrind, keep={name: dump})
        entry = next((e for e in doc["benchmarks"] if e["name"] == name), None)
        if entry is None or not os.path.exists(dump) or not entry.get("ops"):
            raise Failure(f"{binary} has no benchmark {name}")
        rev = doc["context"]["wsbench"].get("fingerprint", {}).get("git_revision", "")
        sides[side] = (dump, entry["ops"], rev)

    def label(side, binary):
        rev = sides[side][2]
        return f"{binary} ({rev[:12]})" if rev and rev != "unknown" else binary

    svg, growth = os.path.join(out, "diff.svg"), os.path.join(out, "growth.md")
    cmd = [flamegraph, "--diff", sides["base"][0], sides["new"][0],
           "--base-ops", str(sides["base"][1]), "--new-ops", str(sides["new"][1]),
           "--top", str(top), "--growth-out", growth, "-o", svg,
           "--title", f"{name}: instructions per op inside Run, base vs new",
           "--subtitle", f"base: {title_base or label('base', base_bin)}; "
                         f"new: {label('new', new_bin)}"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise Failure(f"wsbench-flamegraph --diff exited with {proc.returncode}")
    with open(growth) as f:
        growth_md = f.read()
    # "top: function +N instructions/op (S of the regression); totals".
    totals = growth_md.split("\n", 1)[0]
    first = re.search(r"^\| 1 \| (.*) \| [^|]* \| ([^|]*) \| ([^|]*) \|$", growth_md, re.M)
    headline_md = f"total {totals}"
    if first:
        share = first.group(3).strip()
        share = f"{share} of the regression" if share != "-" else "the total did not grow"
        headline_md = (f"top growth {first.group(1)} {first.group(2).strip()} "
                       f"instructions/op ({share}); total {totals}")
    return {"svg": svg, "growth_md": growth_md, "headline_md": headline_md,
            "headline": unmarkdown(headline_md)}


def profile_diff_main(argv):
    p = argparse.ArgumentParser(prog="tools/profile-diff", description=PROFILE_DIFF_HELP,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base", help="the base build's wsbench binary")
    p.add_argument("new", help="the new build's wsbench binary")
    p.add_argument("name", help="<dimension>/<level>")
    p.add_argument("--out", help="output directory (default out/profile-diff/<name>)")
    p.add_argument("--seed", type=int, help="workload seed (default: the builds' own)")
    p.add_argument("--top", type=int, default=10, help="growth list length")
    p.add_argument("--no-pin", action="store_true",
                   help="leave simdjson and the unmask kernel to the CPU valgrind shows")
    p.add_argument("--flamegraph",
                   default=os.path.join(ROOT, "build/release/tools/flamegraph/wsbench-flamegraph"))
    a = p.parse_args(argv)
    out = a.out or os.path.join("out", "profile-diff", a.name.replace("/", "_"))
    result = profile_diff(a.base, a.new, a.name, out, a.flamegraph, a.seed, a.top,
                          pin=not a.no_pin)
    sys.stdout.write(result["growth_md"])
    print(f"\n{PROG}: {result['svg']} (tools/render-report {result['svg']} to look at it)")
    return 0


COMMANDS = {"gate": gate_main, "ab": ab_main, "instructions": instructions_main,
            "gate-check": gate_check_main, "profile-diff": profile_diff_main}


def main():
    global PROG
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    command = sys.argv[1]
    PROG = f"tools/{command}"
    try:
        return COMMANDS[command](sys.argv[2:])
    except Failure as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
