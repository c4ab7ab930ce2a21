#!/usr/bin/env python3
"""Regenerates the compare tool's fixtures (deterministic: fixed seeds).

Run from this directory: ./make_fixtures.py. The files are committed; the
tests read them, they never run this script.
"""
import copy
import json
import random

FINGERPRINT = {"cpu_model": "Test CPU @ 2.0GHz", "cores": 2,
               "compiler": "GNU 12.2.0", "cxx_flags": "-O2 -g -DNDEBUG -fno-omit-frame-pointer",
               "build_type": "Release", "git_revision": "aaaaaaaaaaaa", "git_dirty": False}

# name -> (ops, ops_per_second, p50_us, p95_us, p99_us, allocs_per_op, instructions_per_op)
BENCHES = {
    "broadcast/medium": (100000, 80e6, 0.9, 1.4, 2.5, 0.0, 14.0),
    "messages/medium": (100000, 3.0e6, 0.30, 0.55, 0.9, 0.0, 900.0),
    "permissions/minimal": (1000, 40e6, 0.02, 0.04, 0.06, 0.0, 35.0),
    "compression/low": (500, 60e3, 15.0, 22.0, 30.0, 0.0, 40000.0),
}
METRICS = ["ops_per_second", "p50_us", "p95_us", "p99_us"]


def context(revision="aaaaaaaaaaaa", complete=True, repetitions=5, fingerprint=None, kind=None):
    fp = dict(FINGERPRINT if fingerprint is None else fingerprint)
    fp["git_revision"] = revision
    ws = {"version": "0.1.0", "complete": complete, "command_line": "wsbench --quick",
          "seed": 1592336422, "repetitions": repetitions, "invalid_share": 0.01,
          "fingerprint": fp,
          "timer": {"source": "rdtsc", "overhead_ns": 11.5, "ticks_per_ns": 2.0},
          "wall_seconds": 7.5, "peak_rss_bytes": 50331648,
          "levels": ["minimal", "low", "medium"],
          "dimensions": ["broadcast", "compression", "messages", "permissions"]}
    if kind:
        ws["kind"] = kind
    if not complete:
        ws["partial_reason"] = "interrupted by SIGINT"
    return {"date": "2026-11-22T12:00:00+00:00", "host_name": "ci", "executable": "wsbench",
            "num_cpus": 2, "mhz_per_cpu": 2000, "cpu_scaling_enabled": False,
            "caches": [{"type": "Data", "level": 1, "size": 32768, "num_sharing": 1}],
            "library_build_type": "debug", "wsbench": ws}


def entries(name, values_per_rep):
    """values_per_rep: list of dicts metric->value, one per repetition."""
    dim, level = name.split("/")
    ops = BENCHES[name][0]
    out = []
    n = len(values_per_rep)
    for i, v in enumerate(values_per_rep):
        e = {"name": name, "family_index": 0, "per_family_instance_index": 0,
             "run_name": name, "run_type": "iteration", "repetitions": n,
             "repetition_index": i, "threads": 1, "iterations": 1,
             "real_time": ops / v["ops_per_second"] * 1e9, "cpu_time": ops / v["ops_per_second"] * 1e9,
             "time_unit": "ns", "dimension": dim, "level": level, "ops": ops,
             "items_per_op": 0, "item_unit": "", "items_per_second": 0,
             "latency_batch": 8, "verdict": "good", "probe_ns": 275000.0}
        e.update(v)
        out.append(e)
    for agg in ("mean", "median", "stddev"):
        e = {"name": f"{name}_{agg}", "run_name": name, "run_type": "aggregate",
             "repetitions": n, "threads": 1, "aggregate_name": agg, "aggregate_unit": "time",
             "iterations": n, "time_unit": "ns", "dimension": dim, "level": level}
        for m in METRICS + ["allocs_per_op"]:
            vals = sorted(x[m] for x in values_per_rep)
            if agg == "mean":
                e[m] = sum(vals) / n
            elif agg == "median":
                e[m] = vals[n // 2]
            else:
                mu = sum(vals) / n
                e[m] = (sum((x - mu) ** 2 for x in vals) / max(1, n - 1)) ** 0.5
        out.append(e)
    return out


def reps(name, rng, n=5, noise=0.02, scale=None, allocs=None):
    scale = scale or {}
    ops, thr, p50, p95, p99, al, _ = BENCHES[name]
    base = {"ops_per_second": thr, "p50_us": p50, "p95_us": p95, "p99_us": p99}
    out = []
    for _ in range(n):
        v = {m: base[m] * scale.get(m, 1.0) * (1 + rng.uniform(-noise, noise)) for m in METRICS}
        v["allocs_per_op"] = al if allocs is None or name not in allocs else allocs[name]
        out.append(v)
    return out


def results(seed, names=None, revision="aaaaaaaaaaaa", n=5, noise=0.02, scales=None,
            allocs=None, wall_factor=1.0, **ctx):
    rng = random.Random(seed)
    names = names or list(BENCHES)
    scales = scales or {}
    benchmarks = []
    for name in names:
        benchmarks += entries(name, reps(name, rng, n, noise, scales.get(name), allocs))
    for b in benchmarks:
        if b["run_type"] == "iteration":
            b["real_time"] *= wall_factor
    return {"context": context(revision=revision, repetitions=n, **ctx),
            "benchmarks": benchmarks,
            "degradation": [{"dimension": "broadcast", "lowest_level": "minimal",
                             "highest_level": "medium", "pct": 4.2, "bottleneck": False}]}


# What wsbench --instructions records under valgrind (code_path.h): the same
# virtual CPU whatever the host.
CODE_PATH = {"valgrind": "valgrind-3.19.0",
             "cpu": "GenuineIntel Intel(R) Core(TM) i7-4910MQ CPU @ 2.90GHz",
             "cpu_features": "sse4.2 popcnt pclmul avx avx2 bmi bmi2",
             "simdjson": "haswell", "simdjson_version": "3.0.1", "unmask": "avx2",
             "glibc": "2.36", "zlib": "1.2.13", "compiler": "GNU 12.2.0",
             "cxx_flags": "-O2 -g -DNDEBUG -fno-omit-frame-pointer", "build_type": "Release"}
INTEL = dict(FINGERPRINT, cpu_model="Intel(R) Xeon(R) Processor @ 2.50GHz")
AMD = dict(FINGERPRINT, cpu_model="AMD EPYC")


def instructions(revision="aaaaaaaaaaaa", bump=None, fingerprint=None, code_path=None):
    bump = bump or {}
    out = []
    for name, spec in BENCHES.items():
        ipo = spec[6] * bump.get(name, 1.0)
        ops = 1000
        out.append({"name": name, "run_name": name, "run_type": "iteration",
                    "repetitions": 1, "repetition_index": 0, "iterations": 1,
                    "dimension": name.split("/")[0], "level": name.split("/")[1],
                    "ops": ops, "instructions": round(ipo * ops), "instructions_per_op": ipo})
    ctx = context(revision=revision, repetitions=1, kind="instructions",
                  fingerprint=fingerprint)
    if code_path is not None:
        ctx["wsbench"]["code_path"] = code_path
    return {"context": ctx, "benchmarks": out}


def baseline_with_instructions(run, counts):
    """What save-baseline writes: counts merged into each entry, code path kept."""
    ipo = {e["name"]: e["instructions_per_op"] for e in counts["benchmarks"]}
    for e in run["benchmarks"]:
        if e["run_name"] in ipo:
            e["instructions_per_op"] = ipo[e["run_name"]]
    if "code_path" in counts["context"]["wsbench"]:
        run["context"]["wsbench"]["code_path"] = counts["context"]["wsbench"]["code_path"]
    return run


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


write("base.json", results(1))
write("identical.json", results(1, revision="bbbbbbbbbbbb"))
write("regression.json", results(2, revision="bbbbbbbbbbbb",
                                 scales={"broadcast/medium": {"ops_per_second": 0.75, "p50_us": 1.33,
                                                              "p95_us": 1.35, "p99_us": 1.4}}))
write("improvement.json", results(3, revision="bbbbbbbbbbbb",
                                  scales={"messages/medium": {"ops_per_second": 1.4, "p50_us": 0.7,
                                                              "p95_us": 0.7, "p99_us": 0.7}}))
# Noisy but unchanged: +-8% per repetition and a +5% systematic drift
# (what a shared VM does between runs).
noisy_scale = {m: (0.95 if m == "ops_per_second" else 1.05) for m in METRICS}
write("noisy.json", results(4, revision="bbbbbbbbbbbb", noise=0.08,
                            scales={n: noisy_scale for n in BENCHES}))
# Tiny level gets 3x slower: shown, but minimal is not time-gated.
write("noisy_minimal.json", results(5, revision="bbbbbbbbbbbb",
                                    scales={"permissions/minimal": {"ops_per_second": 0.5, "p50_us": 2,
                                                                    "p95_us": 2, "p99_us": 2}}))
missing_new = results(6, revision="bbbbbbbbbbbb",
                      names=["broadcast/medium", "messages/medium", "permissions/minimal"])
BENCHES["subscriptions/medium"] = (100000, 10e6, 0.1, 0.2, 0.3, 0.0, 120.0)
missing_new["benchmarks"] += entries("subscriptions/medium",
                                     reps("subscriptions/medium", random.Random(7)))
write("missing_new.json", missing_new)
del BENCHES["subscriptions/medium"]
other = dict(FINGERPRINT, cpu_model="Other CPU @ 3.5GHz", cores=8)
write("fingerprint.json", results(8, revision="bbbbbbbbbbbb", fingerprint=other,
                                  scales={"broadcast/medium": {"ops_per_second": 0.6}},
                                  allocs={"messages/medium": 1.0}))
write("allocs_regression.json", results(9, revision="bbbbbbbbbbbb",
                                        allocs={"messages/medium": 0.5}))
# A busy machine (wall time 4x CPU time) during a 25% regression: time is
# shown, not gated; the allocation rise is still caught.
write("busy.json", results(12, revision="bbbbbbbbbbbb", wall_factor=4.0,
                           scales={"broadcast/medium": {"ops_per_second": 0.75}},
                           allocs={"messages/medium": 0.5}))
write("partial.json", results(10, complete=False))
write("few_reps.json", results(11, n=2))
write("instructions_base.json", instructions())
write("instructions_plus5.json", instructions(revision="bbbbbbbbbbbb",
                                              bump={"messages/medium": 1.05}))
write("instructions_plus05.json", instructions(revision="bbbbbbbbbbbb",
                                               bump={"messages/medium": 1.005}))
with open("base.json") as f:
    text = f.read()
with open("corrupt.json", "w") as f:
    f.write(text[: len(text) // 2])
broken = results(1)
del broken["context"]["wsbench"]["fingerprint"]["cpu_model"]
write("missing_field.json", broken)
wrong_type = results(1)
wrong_type["benchmarks"][0]["name"] = 42
write("wrong_type.json", wrong_type)
# Instruction counts across CPU models: a baseline recorded on an Intel Xeon,
# runs on an AMD EPYC with the same code path (+5% on messages/medium, or
# unchanged) and with another simdjson implementation.
write("baseline_intel.json",
      baseline_with_instructions(results(14, fingerprint=INTEL),
                                 instructions(fingerprint=INTEL, code_path=CODE_PATH)))
write("amd_run.json", results(15, revision="bbbbbbbbbbbb", fingerprint=AMD))
write("instructions_amd.json",
      instructions(revision="bbbbbbbbbbbb", fingerprint=AMD, code_path=CODE_PATH))
write("instructions_amd_plus5.json",
      instructions(revision="bbbbbbbbbbbb", fingerprint=AMD, code_path=CODE_PATH,
                   bump={"messages/medium": 1.05}))
write("instructions_amd_icelake.json",
      instructions(revision="bbbbbbbbbbbb", fingerprint=AMD,
                   code_path=dict(CODE_PATH, simdjson="icelake"),
                   bump={"messages/medium": 1.05}))
# Nothing in common with base.json: no benchmark matches.
unrelated = results(16, revision="bbbbbbbbbbbb")
for e in unrelated["benchmarks"]:
    for key in ("name", "run_name"):
        e[key] = "renamed_" + e[key]
write("unrelated.json", unrelated)

# Runs wsbench-compare must refuse (exit 2, naming the file, the JSON path
# and what is wrong); tests/compare_cli_test.sh walks them.
def nonsense(name, edit):
    run = results(13, revision="bbbbbbbbbbbb")
    edit(run)
    write("nonsense_" + name + ".json", run)


def first_iteration(run, name="messages/medium"):
    return next(b for b in run["benchmarks"]
                if b["run_name"] == name and b["run_type"] == "iteration")


def failed(run):
    b = first_iteration(run)
    b["error_occurred"] = True
    b["error_message"] = "verify: 3 replies missing"


def drop_dimension(run, dimension, listed):
    run["benchmarks"] = [b for b in run["benchmarks"] if b["dimension"] != dimension]
    if not listed:
        run["context"]["wsbench"]["dimensions"].remove(dimension)


nonsense("failed", failed)
nonsense("missing_dimension", lambda r: drop_dimension(r, "permissions", True))
nonsense("deleted_dimension", lambda r: drop_dimension(r, "messages", False))
nonsense("empty", lambda r: r.update(benchmarks=[]))
nonsense("negative_time", lambda r: first_iteration(r).update(real_time=-5.0))
nonsense("zero_time", lambda r: first_iteration(r).update(cpu_time=0))
nonsense("string_number", lambda r: first_iteration(r).update(ops_per_second="fast"))
nonsense("missing_time", lambda r: first_iteration(r).pop("real_time"))
nonsense("duplicate", lambda r: r["benchmarks"].append(copy.deepcopy(first_iteration(r))))
nonsense("no_probe", lambda r: first_iteration(r).pop("probe_ns"))
nonsense("negative_probe", lambda r: first_iteration(r).update(probe_ns=-1))

def gbench(seed, scale=None, n=5):
    """A plain Google Benchmark file (no wsbench context), times in us."""
    rng = random.Random(seed)
    scale = scale or {}
    out = []
    for family, (name, us) in enumerate([("BM_Parse/64", 1.5), ("BM_Parse/4096", 80.0)]):
        for i in range(n):
            t = us * scale.get(name, 1.0) * (1 + rng.uniform(-0.02, 0.02))
            out.append({"name": name, "family_index": 0, "per_family_instance_index": family,
                        "run_name": name, "run_type": "iteration", "repetitions": n,
                        "repetition_index": i, "threads": 1, "iterations": 100000,
                        "real_time": t, "cpu_time": t * 0.99, "time_unit": "us"})
    return {"context": {"date": "2026-11-25T12:00:00+00:00", "host_name": "ci",
                        "executable": "./parse_bench", "num_cpus": 2, "mhz_per_cpu": 2000,
                        "cpu_scaling_enabled": False, "caches": [],
                        "library_build_type": "release"},
            "benchmarks": out}


# A team's other benchmarks: plain Google Benchmark output.
write("gbench_base.json", gbench(17))
write("gbench_slower.json", gbench(18, scale={"BM_Parse/4096": 1.25}))
write("gbench_same.json", gbench(19))
write("gbench_single.json", gbench(20, n=1))
