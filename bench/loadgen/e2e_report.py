#!/usr/bin/python3
"""Turns the measurements of bench/e2e.sh into bench/results/e2e.json, the latency-throughput plot and the
result block of bench/README.md (between <!-- e2e-table:begin --> and <!-- e2e-table:end -->).

Debian's /usr/bin/python3 with python3-matplotlib (for the plot); nothing else.
"""
import argparse
import datetime
import json
import re

MIB = 1024 * 1024
KIB = 1024
# The memory target: peak RSS <= 1.5 x bytes in flight + 64 MiB, bytes in flight = 64 x (4 MiB in + 4 MiB out).
IN_FLIGHT_BYTES = 64 * 2 * 4 * MIB
MEMORY_LIMIT_BYTES = 1.5 * IN_FLIGHT_BYTES + 64 * MIB


def size_text(n):
    return f"{n // MIB}MiB" if n >= MIB and n % MIB == 0 else f"{n // KIB}KiB" if n % KIB == 0 else f"{n}B"


def plot(sweep, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["input_bytes"] for r in sweep["summary"]})
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        for target, color in (("rectifier", "tab:blue"), ("echo", "tab:gray")):
            rows = sorted((r for r in sweep["summary"] if r["input_bytes"] == size and r["target"] == target),
                          key=lambda r: r["level"])
            if not rows:
                continue
            x = [r["requests_per_s"] for r in rows]
            for key, style in (("p50_us", "-o"), ("p99_us", "--s")):
                ax.plot(x, [r[key] / 1000 for r in rows], style, color=color, label=f"{target} {key[:-3]}")
            for r in rows:
                ax.annotate(f"c={r['level']:g}", (r["requests_per_s"], r["p99_us"] / 1000), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
        ax.set_title(f"relu float32 {size_text(size)}: latency against throughput")
        ax.set_xlabel("requests/s (median of alternating runs)")
        ax.set_ylabel("latency, ms")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def verdict(row):
    if row.get("meets_throughput_target") is None:
        return ""
    met = row["meets_throughput_target"] and row.get("meets_latency_target") in (None, True)
    return "met" if met else "**missed**"


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}"


def markdown(report):
    sweep, machine, memory = report["sweep"], report["machine"], report["memory"]
    cfg = sweep["config"]
    lines = [
        f"Measured {report['date']} on {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
        f"{machine.get('kernel', '?')}, gRPC {machine.get('grpc', '?')}. Client, servers and "
        f"**other processes shared the cores**: load average {report['load']['before']} before, "
        f"{report['load']['after']} after; other processes took {report['load']['other_cpu_percent']:.0f}% of "
        f"the machine's CPU time during the run (ours: {report['load']['own_cpu_percent']:.0f}%). Every figure "
        f"is the median of {cfg['alternations']} alternating {cfg['window_s']:g}-second windows "
        f"({cfg['warmup_s']:g} s warm-up each, the order flipped every alternation); ratios are "
        f"Rectifier / echo for the same point.",
        "",
        "| size | load | Rectifier req/s | echo req/s | ratio | Rectifier GB/s | Rectifier p50 / p99 us | "
        "echo p50 / p99 us | p99 ratio | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in sweep["summary"]:
        if row["target"] != "rectifier":
            continue
        echo = next((e for e in sweep["summary"] if e["target"] == "echo" and e["input_bytes"] == row["input_bytes"]
                     and e["level"] == row["level"] and e["mode"] == row["mode"]), None)
        if echo is None:
            continue
        errors = row["errors"] + echo["errors"]
        lines.append(
            f"| {size_text(row['input_bytes'])} | c={row['level']:g} | {row['requests_per_s']:.0f} | "
            f"{echo['requests_per_s']:.0f} | {fmt_ratio(row['throughput_ratio'])} | {row['gigabytes_per_s']:.3f} | "
            f"{row['p50_us']:.0f} / {row['p99_us']:.0f} | {echo['p50_us']:.0f} / {echo['p99_us']:.0f} | "
            f"{fmt_ratio(row['p99_ratio'])} | {verdict(row)}{f' ({errors} errors)' if errors else ''} |")
    lines += [
        "",
        "Targets: throughput >= 0.90 x echo at every point; at concurrency 1 also p99 <= 1.1 x echo p99 + 20 us.",
        "",
        "| peak resident memory, 64 concurrent 4 MiB requests | MiB |",
        "|---|---|",
        f"| rectifier-server VmHWM (at start: {memory['rectifier_start_mib']:.0f}) | "
        f"{memory['rectifier_peak_mib']:.0f} |",
        f"| echo server VmHWM | {memory['echo_peak_mib']:.0f} |",
        f"| bytes in flight (64 x (4 MiB in + 4 MiB out)) | {IN_FLIGHT_BYTES / MIB:.0f} |",
        f"| target: 1.5 x bytes in flight + 64 MiB | {MEMORY_LIMIT_BYTES / MIB:.0f} "
        f"({'met' if memory['meets_target'] else '**missed**'}) |",
    ]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sweep", required=True)
    p.add_argument("--memory-rectifier", required=True)
    p.add_argument("--memory-echo", required=True)
    p.add_argument("--rectifier-hwm-kib", type=int, required=True)
    p.add_argument("--rectifier-start-kib", type=int, required=True)
    p.add_argument("--echo-hwm-kib", type=int, required=True)
    p.add_argument("--machine-busy-ticks", type=int, required=True)
    p.add_argument("--machine-total-ticks", type=int, required=True)
    p.add_argument("--own-ticks", type=int, required=True)
    p.add_argument("--load-before", required=True)
    p.add_argument("--load-after", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--plot")
    p.add_argument("--readme")
    a = p.parse_args()

    sweep = json.load(open(a.sweep))
    total = max(a.machine_total_ticks, 1)
    memory = {
        "rectifier_peak_mib": a.rectifier_hwm_kib / 1024,
        "rectifier_start_mib": a.rectifier_start_kib / 1024,
        "echo_peak_mib": a.echo_hwm_kib / 1024,
        "bytes_in_flight_mib": IN_FLIGHT_BYTES / MIB,
        "limit_mib": MEMORY_LIMIT_BYTES / MIB,
        "meets_target": a.rectifier_hwm_kib * 1024 <= MEMORY_LIMIT_BYTES,
        "rectifier_run": json.load(open(a.memory_rectifier))["summary"],
        "echo_run": json.load(open(a.memory_echo))["summary"],
    }
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": sweep["machine"],
        "load": {
            "before": a.load_before,
            "after": a.load_after,
            "own_cpu_percent": 100 * a.own_ticks / total,
            "other_cpu_percent": max(0, 100 * (a.machine_busy_ticks - a.own_ticks) / total),
        },
        "sweep": sweep,
        "memory": memory,
    }
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    if a.plot:
        plot(sweep, a.plot)
    table = markdown(report)
    print(table)
    if a.readme:
        text = open(a.readme).read()
        block = f"<!-- e2e-table:begin -->\n{table}<!-- e2e-table:end -->"
        new, count = re.subn(r"<!-- e2e-table:begin -->.*?<!-- e2e-table:end -->", lambda _: block, text, flags=re.S)
        if count != 1:
            raise SystemExit(f"{a.readme}: no e2e-table block")
        open(a.readme, "w").write(new)


if __name__ == "__main__":
    main()
