#!/usr/bin/python3
"""Turns rectifier-kernel-bench's Google Benchmark JSON into bench/results/kernels.json and its tables.

  kernels_table.py convert RAW.json --out kernels.json --machine machine.json [--load-before "..."]
      Medians of the repetitions, one object per case (see bench/README.md for the fields), one "copy" object
      per size; machine.json records the machine, date, threads, library versions and load averages.
  kernels_table.py text kernels.json
      The plain-text table kernels.sh prints.
  kernels_table.py markdown kernels.json --machine machine.json [--readme bench/README.md]
      The Markdown summary and table; with --readme, replaces the block between the result markers there.

Standard library only (run it with /usr/bin/python3 or any Python >= 3.9).
"""

import argparse
import datetime
import json
import math
import os
import re
import signal
import subprocess
import sys

DTYPE_ORDER = ["float32", "float64", "bfloat16", "float16"]
MEMORY_BOUND = ["relu", "leaky_relu", "prelu", "relu6", "hardtanh", "threshold", "crelu"]
# Result blocks in bench/README.md: "<!-- kernels-table:begin -->" ... "<!-- kernels-table:end -->" for the
# default run, "<!-- kernels-table:begin threads-1 -->" ... for a run with --threads=1, and so on.
def markers(block):
    suffix = f" {block}" if block else ""
    return f"<!-- kernels-table:begin{suffix} -->", f"<!-- kernels-table:end{suffix} -->"

# Targets (bench/README.md).
TARGET_GEOMEAN = 1.5
TARGET_COPY_FRACTION = 0.9
TARGET_RELU_1KI_SPEEDUP = 3.0


def time_to_ns(value, unit):
    return value * {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def split_name(run_name):
    """'impl:dtype:elements:key/n:1024/iterations:1/repeats:9/manual_time' -> (impl, dtype, elements, key)."""
    base = run_name.split("/n:")[0]
    impl, dtype, elements, key = base.split(":", 3)
    return impl, dtype, int(elements), key


def lscpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return "unknown"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return [x for x in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16") if x in flags]
    except OSError:
        pass
    return []


def cache_text(cache):
    size = cache["size"] // 1024
    size = f"{size // 1024} MiB" if size % 1024 == 0 else f"{size} KiB"
    kind = {"Data": "d", "Instruction": "i"}.get(cache.get("type"), "")
    sharing = cache.get("num_sharing", 1)
    return f"L{cache['level']}{kind} {size}" + (f" shared by {sharing} cores" if sharing > 1 else " per core")


def convert(args):
    with open(args.raw) as f:
        raw = json.load(f)
    context = raw["context"]
    medians = {}  # (impl, dtype, elements, key) -> (ns, gbps)
    cvs = {}  # (impl, dtype, elements, key) -> coefficient of variation of the time over the repetitions
    mins = {}  # (impl, dtype, elements, key) -> ns per call of the fastest repetition
    errors = {}
    for b in raw["benchmarks"]:
        run_name = b.get("run_name", b["name"])
        impl, dtype, elements, key = split_name(run_name)
        if b.get("error_occurred"):
            errors[(impl, dtype, elements, key)] = b.get("error_message", "error")
            continue
        if b.get("run_type") != "aggregate":
            continue
        if b.get("aggregate_name") == "median":
            ns = time_to_ns(b["real_time"], b.get("time_unit", "ns"))
            medians[(impl, dtype, elements, key)] = (ns, b["bytes_per_second"] / 1e9)
        elif b.get("aggregate_name") == "cv":
            cvs[(impl, dtype, elements, key)] = b["real_time"]
        elif b.get("aggregate_name") == "min":
            mins[(impl, dtype, elements, key)] = time_to_ns(b["real_time"], b.get("time_unit", "ns"))

    key_order = context.get("key_order", "").split("|")
    def rank(key):
        return key_order.index(key) if key in key_order else len(key_order)

    rows = []
    cases = {(d, e, k) for (i, d, e, k) in list(medians) + list(errors) if not i.startswith("copy")}
    for dtype, elements, key in sorted(cases, key=lambda c: (rank(c[2]), DTYPE_ORDER.index(c[0]), c[1])):
        spec = context.get("spec:" + key, key)
        rect = medians.get(("rectifier", dtype, elements, key))
        torch = medians.get(("pytorch", dtype, elements, key))
        row = {
            "activation": spec.split("(")[0],
            "spec": spec,
            "dtype": dtype,
            "elements": elements,
            "rectifier_gbps": round(rect[1], 3) if rect else None,
            "pytorch_gbps": round(torch[1], 3) if torch else None,
            "ns_per_call": round(rect[0], 1) if rect else None,
            "pytorch_ns_per_call": round(torch[0], 1) if torch else None,
            "ratio": round(rect[1] / torch[1], 3) if rect and torch else None,
        }
        for impl in ("onednn", "simd"):
            m = medians.get((impl, dtype, elements, key))
            if m:
                row[impl + "_gbps"] = round(m[1], 3)
        for impl in ("rectifier", "pytorch"):
            cv = cvs.get((impl, dtype, elements, key))
            if cv is not None:
                row[impl + "_cv"] = round(cv, 3)
        best = {}
        for impl in ("rectifier", "pytorch"):
            m, fastest = medians.get((impl, dtype, elements, key)), mins.get((impl, dtype, elements, key))
            if m and fastest:
                best[impl] = m[1] * m[0] / fastest  # bytes per call / fastest time
                row[impl + "_best_gbps"] = round(best[impl], 3)
        if len(best) == 2:
            row["best_ratio"] = round(best["rectifier"] / best["pytorch"], 3)
        err = errors.get(("rectifier", dtype, elements, key))
        if err:
            row["error"] = err
        rows.append(row)

    copies = {}
    for (impl, dtype, elements, key), (ns, gbps) in medians.items():
        if impl.startswith("copy-"):
            threads = int(impl[len("copy-"):-1])
            best = copies.get(elements)
            if best is None or gbps > best["rectifier_gbps"]:
                copies[elements] = {"activation": "copy", "spec": "copy", "dtype": dtype, "elements": elements,
                                    "rectifier_gbps": round(gbps, 3), "pytorch_gbps": None,
                                    "ns_per_call": round(ns, 1), "threads": threads}
                fastest = mins.get((impl, dtype, elements, key))
                if fastest:
                    copies[elements]["rectifier_best_gbps"] = round(gbps * ns / fastest, 3)
    rows.extend(copies[e] for e in sorted(copies))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")

    with open("/proc/loadavg") as f:
        load_after = " ".join(f.read().split()[:3])
    machine = {
        "cpu_model": lscpu_model(),
        "cores": os.cpu_count(),
        "cpu_flags": cpu_flags(),
        "rectifier_isa": context.get("rectifier_isa", ""),
        "date": context.get("date", datetime.datetime.now().isoformat()),
        "threads": int(context.get("threads", 0)),
        "torch_version": context.get("torch_version", ""),
        "onednn_version": context.get("onednn_version", ""),
        "caches": [cache_text(c) for c in context.get("caches", []) if c.get("type") != "Instruction"],
        "load_before": args.load_before,
        "load_after": load_after,
        "foreign_cpu_percent": args.foreign_cpu_percent,
        "output_check": context.get("output_check", ""),
        "quick": context.get("quick", "false") == "true",
    }
    if args.machine:
        with open(args.machine, "w") as f:
            json.dump(machine, f, indent=1)
            f.write("\n")


# --------------------------------------------------------------------------------------------------------

def size_text(n):
    for unit, scale in (("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def spec_text(spec):
    """Abbreviates long lists (PReLU's 64 weights) for tables."""
    def shorten(m):
        items = [x.strip() for x in m.group(1).split(",")]
        if len(items) <= 4:
            return m.group(0)
        return f"[{items[0]}, {items[1]}, …, {items[-1]}] ({len(items)} values)"
    return re.sub(r"\[([^\]]*)\]", shorten, spec)


def fmt(x, digits=1):
    """Fixed digits, but at least two significant ones for small values (0.033, not 0.0)."""
    if x is None:
        return ""
    if digits == 1 and 0 < abs(x) < 1:
        return f"{x:.2g}"
    return f"{x:.{digits}f}"


def geomean(values):
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def load(path):
    with open(path) as f:
        return json.load(f)


def summary(rows):
    cases = [r for r in rows if r["activation"] != "copy"]
    copy = {r["elements"]: r for r in rows if r["activation"] == "copy"}
    ratios = [r["ratio"] for r in cases if r.get("ratio")]
    slower = sorted((r for r in cases if r.get("ratio") is not None and r["ratio"] < 1.0),
                    key=lambda r: r["ratio"])
    big = [r for r in cases if r["dtype"] == "float32" and r["elements"] == 64 << 20]
    copy_big = copy.get(64 << 20)
    relu = next((r for r in cases if r["spec"] == "relu" and r["dtype"] == "float32" and r["elements"] == 1024),
                None)
    best_ratios = [r["best_ratio"] for r in cases if r.get("best_ratio")]
    best_slower = sorted((r for r in cases if r.get("best_ratio") is not None and r["best_ratio"] < 1.0),
                         key=lambda r: r["best_ratio"])
    return {
        "cases": cases, "copy": copy, "geomean": geomean(ratios), "compared": len(ratios), "slower": slower,
        "best_geomean": geomean(best_ratios), "best_slower": best_slower,
        "big": big, "copy_big": copy_big, "relu": relu,
        "errors": [r for r in cases if r.get("error")],
    }


def text(args):
    rows = load(args.json)
    header = f"{'activation':<44} {'dtype':<9} {'elements':>8} {'rectifier GB/s':>15} {'pytorch GB/s':>13} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{spec_text(r['spec'])[:44]:<44} {r['dtype']:<9} {size_text(r['elements']):>8} "
              f"{fmt(r['rectifier_gbps'], 2):>15} {fmt(r['pytorch_gbps'], 2):>13} {fmt(r.get('ratio'), 2):>7}")
    s = summary(rows)
    print()
    if s["geomean"]:
        print(f"geometric mean of rectifier/pytorch over {s['compared']} cases: {s['geomean']:.2f}x "
              f"(target >= {TARGET_GEOMEAN}x)")
    print(f"cases slower than pytorch: {len(s['slower'])}"
          + "".join(f"\n  {spec_text(r['spec'])} {r['dtype']} {size_text(r['elements'])}: {r['ratio']:.2f}x"
                    for r in s["slower"]))
    if s["copy_big"]:
        print(f"64Mi float32 vs copy limit ({s['copy_big']['rectifier_gbps']:.1f} GB/s):")
        for r in s["big"]:
            if r["rectifier_gbps"]:
                print(f"  {spec_text(r['spec'])}: {100 * r['rectifier_gbps'] / s['copy_big']['rectifier_gbps']:.0f}%")
    r = s["relu"]
    if r and r.get("pytorch_ns_per_call"):
        print(f"relu 1Ki float32: {r['ns_per_call']:.0f} ns/call vs pytorch {r['pytorch_ns_per_call']:.0f} ns/call "
              f"({r['pytorch_ns_per_call'] / r['ns_per_call']:.1f}x; target >= {TARGET_RELU_1KI_SPEEDUP}x)")
    for r in s["errors"]:
        print(f"ERROR {r['spec']} {r['dtype']} {size_text(r['elements'])}: {r['error']}")


def check_text(check):
    if check.startswith("MISMATCH"):
        return f"**{check.count(';')} case(s) differ** (listed in results/kernels-machine.json)"
    return check


def mark(ok):
    return "met" if ok else "**missed**"


def markdown(args):
    rows = load(args.json)
    machine = load(args.machine) if args.machine else {}
    s = summary(rows)
    out = []
    date = machine.get("date", "")
    out.append(f"Measured {date[:16].replace('T', ' ')} on **{machine.get('cpu_model', '?')}**, "
               f"{machine.get('cores', '?')} cores ({', '.join(machine.get('caches', [])) or 'caches unknown'}), "
               f"Rectifier's SIMD target **{machine.get('rectifier_isa', '?')}**, oneDNN "
               f"{machine.get('onednn_version', '?')}, libtorch {machine.get('torch_version') or 'absent'}, "
               f"**{machine.get('threads', '?')} thread{'' if machine.get('threads') == 1 else 's'}** for both "
               f"libraries. Load average before / after the "
               f"run: {machine.get('load_before') or '?'} / {machine.get('load_after', '?')}"
               + (f"; other processes used {machine['foreign_cpu_percent']:.0f}% of the cores during the run"
                  if machine.get("foreign_cpu_percent") is not None else "")
               + f". Output check against PyTorch: {check_text(machine.get('output_check', '?'))}.")
    out.append("")
    out.append("| target | median of the repetitions (of record) | fastest repetition (cross-check) | |")
    out.append("|---|---|---|---|")
    if s["geomean"]:
        best = f"{s['best_geomean']:.2f}×" if s["best_geomean"] else ""
        out.append(f"| geometric mean of the ratios ≥ {TARGET_GEOMEAN}× | {s['geomean']:.2f}× over "
                   f"{s['compared']} cases | {best} | {mark(s['geomean'] >= TARGET_GEOMEAN)} |")

    def worst(slower, field):
        if not slower:
            return "none"
        w = slower[0]
        return (f"{len(slower)} (worst: {spec_text(w['spec'])} {w['dtype']} {size_text(w['elements'])}, "
                f"{w[field]:.2f}×)")
    out.append(f"| every case at least as fast as PyTorch | slower: {worst(s['slower'], 'ratio')} | "
               f"slower: {worst(s['best_slower'], 'best_ratio')} | {mark(not s['slower'])} |")
    if s["copy_big"]:
        def worst_fraction(field):
            limit = s["copy_big"].get(field)
            fractions = [(r, r[field] / limit) for r in s["big"] if r.get(field) and limit]
            return min(fractions, key=lambda x: x[1]) if fractions else None
        w, wb = worst_fraction("rectifier_gbps"), worst_fraction("rectifier_best_gbps")
        if w:
            best = f"worst {spec_text(wb[0]['spec'])} {100 * wb[1]:.0f}%" if wb else ""
            out.append(f"| memory-bound, 64Mi float32, within 10% of copy | worst {spec_text(w[0]['spec'])} "
                       f"{100 * w[1]:.0f}% | {best} | {mark(w[1] >= TARGET_COPY_FRACTION)} |")
    r = s["relu"]
    if r and r.get("pytorch_ns_per_call"):
        speedup = r["pytorch_ns_per_call"] / r["ns_per_call"]
        best = ""
        if r.get("rectifier_best_gbps") and r.get("pytorch_best_gbps"):
            best = f"{r['rectifier_best_gbps'] / r['pytorch_best_gbps']:.1f}×"
        out.append(f"| relu 1Ki float32 ≥ {TARGET_RELU_1KI_SPEEDUP:.0f}× faster per call | {r['ns_per_call']:.0f} ns "
                   f"vs {r['pytorch_ns_per_call']:.0f} ns: {speedup:.1f}× | {best} | "
                   f"{mark(speedup >= TARGET_RELU_1KI_SPEEDUP)} |")
    out.append("")

    if s["copy_big"]:
        out.append("**64Mi float32 elements (256 MiB in, 256 MiB out; CReLU 512 MiB out) against the copy limit**")
        out.append("")
        out.append("| activation | Rectifier GB/s | % of copy | PyTorch GB/s | % of copy |")
        out.append("|---|---:|---:|---:|---:|")
        limit = s["copy_big"]["rectifier_gbps"]
        for row in s["big"]:
            out.append(f"| `{spec_text(row['spec'])}` | {fmt(row['rectifier_gbps'])} | "
                       f"{fmt(100 * row['rectifier_gbps'] / limit if row['rectifier_gbps'] else None, 0)}% | "
                       f"{fmt(row['pytorch_gbps'])} | "
                       f"{fmt(100 * row['pytorch_gbps'] / limit if row['pytorch_gbps'] else None, 0)}% |")
        threads = s["copy_big"].get("threads", "?")
        out.append(f"| copy (memcpy, {threads} thread{'' if threads == 1 else 's'}) | {limit:.1f} | 100% | | |")
        out.append("")

    backend_rows = [r for r in s["cases"] if r.get("onednn_gbps") and r.get("simd_gbps")]
    if backend_rows:
        out.append("**Backends, float32: Apply with Backend::kOnednn vs Backend::kSimd (GB/s; faster in bold)**")
        out.append("")
        sizes = sorted({r["elements"] for r in backend_rows})
        out.append("| activation | " + " | ".join(f"{size_text(n)} oneDNN / SIMD" for n in sizes) + " |")
        out.append("|---|" + "---:|" * len(sizes))
        by_spec = {}
        for r in backend_rows:
            by_spec.setdefault(r["spec"], {})[r["elements"]] = r
        for spec, cells in by_spec.items():
            parts = []
            for n in sizes:
                r = cells.get(n)
                if not r:
                    parts.append("")
                    continue
                o, m = r["onednn_gbps"], r["simd_gbps"]
                parts.append(f"**{fmt(o)}** / {fmt(m)}" if o > m else f"{fmt(o)} / **{fmt(m)}**")
            out.append(f"| `{spec_text(spec)}` | " + " | ".join(parts) + " |")
        out.append("")

    out.append("**Every case** (medians; ratio = Rectifier GB/s ÷ PyTorch GB/s; PyTorch empty where libtorch has "
               "no CPU kernel for the dtype)")
    out.append("")
    out.append("| activation | dtype | elements | Rectifier GB/s | PyTorch GB/s | ratio | Rectifier ns/call "
               "| PyTorch ns/call |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in s["cases"]:
        ratio = r.get("ratio")
        ratio_text = "" if ratio is None else (f"**{ratio:.2f}**" if ratio < 1 else f"{ratio:.2f}")
        out.append(f"| `{spec_text(r['spec'])}` | {r['dtype']} | {size_text(r['elements'])} | "
                   f"{fmt(r['rectifier_gbps'])} | {fmt(r['pytorch_gbps'])} | {ratio_text} | "
                   f"{fmt(r['ns_per_call'], 0)} | {fmt(r.get('pytorch_ns_per_call'), 0)} |")
    copy_rows = [s["copy"][n] for n in sorted(s["copy"])]
    if copy_rows:
        out.append("")
        out.append("**Copy limit** (memcpy of the float32 input's bytes into the output, split over the threads; "
                   "best of 1 and all threads)")
        out.append("")
        out.append("| elements | bytes copied | GB/s (read + written) | threads | ns/call |")
        out.append("|---:|---:|---:|---:|---:|")
        for c in copy_rows:
            out.append(f"| {size_text(c['elements'])} | {size_text(4 * c['elements'])}B | {fmt(c['rectifier_gbps'])} | "
                       f"{c.get('threads', '')} | {c['ns_per_call']:.0f} |")
    table = "\n".join(out) + "\n"

    if args.readme:
        with open(args.readme) as f:
            readme = f.read()
        begin_mark, end_mark = markers(args.block)
        begin, end = readme.find(begin_mark), readme.find(end_mark)
        if begin < 0 and end < 0 and args.block:
            # First run of this configuration: its block goes at the end of the file.
            readme = readme.rstrip("\n") + f"\n\n### Run with {args.block}\n\n{begin_mark}\n{table}{end_mark}\n"
        elif begin < 0 or end < begin:
            sys.exit(f"{args.readme}: markers {begin_mark} ... {end_mark} not found")
        else:
            readme = readme[:begin + len(begin_mark)] + "\n" + table + readme[end:]
        with open(args.readme, "w") as f:
            f.write(readme)
    else:
        sys.stdout.write(table)


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `kernels_table.py text ... | head`
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("convert")
    p.add_argument("raw")
    p.add_argument("--out", required=True)
    p.add_argument("--machine")
    p.add_argument("--load-before", default="")
    p.add_argument("--foreign-cpu-percent", type=float,
                   help="share of the cores other processes used during the run (kernels.sh measures it)")
    p.set_defaults(func=convert)
    p = sub.add_parser("text")
    p.add_argument("json")
    p.set_defaults(func=text)
    p = sub.add_parser("markdown")
    p.add_argument("json")
    p.add_argument("--machine")
    p.add_argument("--readme")
    p.add_argument("--block", default="", help="which result block of --readme to replace (e.g. threads-1)")
    p.set_defaults(func=markdown)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
