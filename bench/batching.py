#!/usr/bin/python3
"""The batching benchmark: rectifier-server with --batching on and off under closed-loop load.

Starts two rectifier-server processes (one with --batching on, one with off; every other flag at its
default) on free loopback ports, then, for each workload (256-element relu, 64Ki-element gelu, 1Mi-element
relu; float32) and each concurrency (1, 8, 64, 256), runs rectifier-load against them in alternating order
(on, off, off, on, ...; --runs each), and takes the median throughput and p50 / p99 latency of each side.
Writes bench/results/batching.json and the result block of bench/README.md.

The load generator runs on the same cores as the server (2 here, shared with other processes): figures
are for this whole closed system. /proc/loadavg before and after every cell is recorded.

Usage: bench/batching.py [--build-dir build/release] [--runs 5] [--seconds 2] [--quick] [--no-readme]
Standard library only; run with Debian's /usr/bin/python3.
"""
import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = [("relu", 256), ("gelu", 65536), ("relu", 1048576)]
CONCURRENCIES = [1, 8, 64, 256]
BEGIN = "<!-- batching-results:begin -->"
END = "<!-- batching-results:end -->"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, batching):
    port, metrics_port = free_port(), free_port()
    process = subprocess.Popen(
        [binary, f"--address=127.0.0.1:{port}", f"--metrics-address=127.0.0.1:{metrics_port}",
         f"--batching={batching}", "--log-level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"batching.py: rectifier-server --batching={batching} exited: {process.stderr.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    sys.exit("batching.py: rectifier-server did not start listening within 60 s")


def run_load(load, port, activation, elements, concurrency, seconds):
    result = subprocess.run(
        [load, f"--target=127.0.0.1:{port}", f"--concurrency={concurrency}", f"--activation={activation}",
         f"--elements={elements}", f"--seconds={seconds}", "--warmup-seconds=0.5"],
        capture_output=True, text=True, timeout=seconds * 10 + 60)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        sys.exit(f"batching.py: rectifier-load failed: {result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def fmt_count(n):
    return f"{n // 1048576}Mi" if n % 1048576 == 0 else f"{n // 1024}Ki" if n % 1024 == 0 else str(n)


def ratio(a, b):
    return f"{a / b:.3f}" if b else "n/a"


def markdown(report):
    lines = [
        f"Measured {report['machine']['date']} on {report['machine']['cpu']} ({report['machine']['cores']} cores, "
        f"shared with other processes; load average {report['load_before'][0]:.2f} before, "
        f"{report['load_after'][0]:.2f} after). {report['runs']} alternating runs of {report['seconds']} s per "
        "side and cell; medians. Throughput in requests/s, latency in microseconds; ratio = on / off.",
        "",
        "| workload | concurrency | off req/s | on req/s | ratio | off p50 | on p50 | p50 ratio | off p99 | on p99 "
        "| load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for cell in report["cells"]:
        off, on = cell["off"], cell["on"]
        lines.append(
            f"| {cell['activation']} {fmt_count(cell['elements'])} | {cell['concurrency']} "
            f"| {off['throughput_rps']:.0f} | {on['throughput_rps']:.0f} "
            f"| {ratio(on['throughput_rps'], off['throughput_rps'])} | {off['p50_us']:.0f} | {on['p50_us']:.0f} "
            f"| {ratio(on['p50_us'], off['p50_us'])} | {off['p99_us']:.0f} | {on['p99_us']:.0f} "
            f"| {cell['load_before'][0]:.1f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build", "release"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--quick", action="store_true", help="1 run of 0.5 s per side; nothing written")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.seconds, args.no_readme = 1, 0.5, True
    server_binary = os.path.join(args.build_dir, "server", "rectifier-server")
    load_binary = os.path.join(args.build_dir, "bench", "rectifier-load")
    for binary in (server_binary, load_binary):
        if not os.access(binary, os.X_OK):
            sys.exit(f"batching.py: {binary} is not built")

    servers = {mode: start_server(server_binary, mode) for mode in ("on", "off")}
    report = {"machine": machine(), "runs": args.runs, "seconds": args.seconds, "load_before": loadavg(),
              "server_flags": "defaults plus --batching on|off", "cells": []}
    try:
        for activation, elements in WORKLOADS:
            for concurrency in CONCURRENCIES:
                cell = {"activation": activation, "elements": elements, "concurrency": concurrency,
                        "load_before": loadavg(), "runs": {"on": [], "off": []}}
                for run in range(args.runs):
                    order = ("on", "off") if run % 2 == 0 else ("off", "on")
                    for mode in order:
                        cell["runs"][mode].append(
                            run_load(load_binary, servers[mode][1], activation, elements, concurrency, args.seconds))
                cell["load_after"] = loadavg()
                for mode in ("on", "off"):
                    runs = cell["runs"][mode]
                    cell[mode] = {key: statistics.median(r[key] for r in runs)
                                  for key in ("throughput_rps", "p50_us", "p99_us")}
                    cell[mode]["errors"] = sum(r["errors"] for r in runs)
                print(f"{activation} {elements} c={concurrency}: off {cell['off']['throughput_rps']:.0f}/s "
                      f"p50 {cell['off']['p50_us']:.0f}us | on {cell['on']['throughput_rps']:.0f}/s "
                      f"p50 {cell['on']['p50_us']:.0f}us (load {cell['load_before'][0]:.1f})", flush=True)
                report["cells"].append(cell)
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)
    report["load_after"] = loadavg()

    table = markdown(report)
    print(table)
    if args.quick:
        return
    results = os.path.join(ROOT, "bench", "results")
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "batching.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    if not args.no_readme:
        readme_path = os.path.join(ROOT, "bench", "README.md")
        with open(readme_path) as f:
            readme = f.read()
        if BEGIN in readme and END in readme:
            head, rest = readme.split(BEGIN, 1)
            readme = head + BEGIN + "\n" + table + "\n" + END + rest.split(END, 1)[1]
        else:
            readme += f"\n{BEGIN}\n{table}\n{END}\n"
        with open(readme_path, "w") as f:
            f.write(readme)


if __name__ == "__main__":
    main()
