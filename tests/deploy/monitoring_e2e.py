#!/usr/bin/python3
"""End-to-end monitoring test: a real rectifier-server under load, scraped every second by a real
Prometheus (Debian's) loaded with Rectifier's alert rules; then every expression of every Grafana dashboard
panel and every alert rule is queried through Prometheus's HTTP API and must return data. Also runs
promtool check config|rules|metrics and promtool test rules on deploy/prometheus.

Usage: monitoring_e2e.py --server build/release/server/rectifier-server --source-dir .
Loopback only, free ports, a temporary directory; every process started is stopped at the end.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import yaml

# Grafana variables and the fixed values the test substitutes (Grafana is not a Debian package).
GRAFANA_VARIABLES = {
    "$__rate_interval": "30s",
    "$__interval": "5s",
    "${datasource}": "prometheus",
    "$job": "rectifier",
    "$instance": ".*",
}
THRESHOLD = re.compile(r"\s*(>|<|>=|<=|==|!=)\s*[-+0-9.eE]+\s*$")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def wait_until(what, condition, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # Not up yet.
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


class Processes:
    """Started processes, stopped (SIGTERM, then SIGKILL) in reverse order."""

    def __init__(self):
        self.started = []

    def start(self, command, log_path):
        log = open(log_path, "w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def stop_all(self):
        for process, log in reversed(self.started):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            log.close()


def generate_stubs(source_dir, out_dir):
    run(["protoc", f"-I{source_dir}/proto", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
         "--plugin=protoc-gen-grpc_python=" + shutil.which("grpc_python_plugin"),
         f"{source_dir}/proto/rectifier/v1/rectifier.proto"])
    sys.path.insert(0, out_dir)
    from rectifier.v1 import rectifier_pb2, rectifier_pb2_grpc  # noqa: E402
    return rectifier_pb2, rectifier_pb2_grpc


def drive_load(address, pb2, pb2_grpc, seconds):
    """Mixed traffic for `seconds`: a repository relu model whose channels 1 and 2 never exceed 0 (dead),
    inline gelu (small, inline) and mish (large, on the executor), a stream, and bad requests."""
    import grpc
    import struct

    channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", -1)])
    stub = pb2_grpc.ActivationServiceStub(channel)
    f32 = pb2.DATA_TYPE_FLOAT32

    def tensor(shape, values):
        return pb2.Tensor(dtype=f32, shape=shape, data=struct.pack(f"<{len(values)}f", *values))

    # [4, 4]: channel c holds elements 4n + c.
    dead = tensor([4, 4], [1, -1, -2, 3, 2, -0.0, -1, 1, 5, -3, -4, 0, 1, -1, -1, 2])
    gelu = pb2.Activation(gelu=pb2.Gelu())
    big = 1 << 16
    requests = [
        pb2.ApplyRequest(model="stem", input=dead),
        pb2.ApplyRequest(activation=gelu, input=tensor([256], [i / 64 - 2 for i in range(256)])),
        pb2.ApplyRequest(activation=pb2.Activation(mish=pb2.Mish()), input=tensor([big], [0.5] * big)),
        pb2.ApplyRequest(activation=pb2.Activation(relu=pb2.Relu()),
                         input=pb2.Tensor(dtype=pb2.DATA_TYPE_INT8, shape=[8], data=bytes([0, 1, 2, 255] * 2))),
        pb2.ApplyRequest(activation=gelu, input=pb2.Tensor(dtype=f32, shape=[3], data=b"short")),  # INVALID_ARGUMENT
        pb2.ApplyRequest(model="no-such-model", input=dead),  # NOT_FOUND
    ]
    errors = []
    deadline = time.monotonic() + seconds

    def worker(offset):
        i = offset
        while time.monotonic() < deadline:
            try:
                stub.Apply(requests[i % len(requests)], timeout=10)
            except grpc.RpcError as e:
                if e.code() not in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
                    errors.append(e)
            i += 1
            if i % 50 == 0:
                responses = list(stub.ApplyStream(iter(requests[:4]), timeout=10))
                assert len(responses) == 4

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise AssertionError(f"unexpected RPC errors: {errors[:3]}")
    stats = stub.GetModelStats(pb2.GetModelStatsRequest(model="stem"), timeout=10)
    assert list(stats.dead_channels) == [1, 2], stats
    channel.close()


def substitute(expr):
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def dashboard_queries(path):
    """(description, PromQL) for every panel target and every query variable of a dashboard."""
    with open(path) as f:
        dashboard = json.load(f)
    queries = []

    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            queries.append((f"panel '{panel['title']}' {target['refId']}", substitute(target["expr"])))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", query.strip())
        assert match, f"variable {variable['name']}: unsupported query {query}"
        queries.append((f"variable ${variable['name']}", substitute(match.group(1))))
    return queries


def alert_queries(rules_dir):
    queries = []
    for name in sorted(os.listdir(rules_dir)):
        with open(os.path.join(rules_dir, name)) as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    label = rule.get("alert") or rule.get("record")
                    expr = rule["expr"].strip()
                    queries.append((f"rule {label}", expr, THRESHOLD.sub("", expr)))
    return queries


def query(prometheus, expr):
    url = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    answer = json.loads(http_get(url))
    if answer.get("status") != "success":
        raise AssertionError(f"query failed: {expr}\n{answer}")
    return answer["data"]["result"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--load-seconds", type=float, default=12)
    args = parser.parse_args()
    source = os.path.abspath(args.source_dir)
    deploy = os.path.join(source, "deploy")
    rules_dir = os.path.join(deploy, "prometheus", "rules")
    processes = Processes()
    scratch = tempfile.mkdtemp(prefix="rectifier_monitoring_e2e_")
    started = time.monotonic()
    try:
        # Static checks of the deploy files.
        run(["promtool", "check", "config", os.path.join(deploy, "prometheus", "prometheus.yml")])
        run(["promtool", "check", "rules"] + [os.path.join(rules_dir, n) for n in sorted(os.listdir(rules_dir))])
        tests_dir = os.path.join(deploy, "prometheus", "tests")
        run(["promtool", "test", "rules"] + [n for n in sorted(os.listdir(tests_dir)) if n.endswith(".yml")],
            cwd=tests_dir)

        # rectifier-server with a repository relu model.
        models = os.path.join(scratch, "models.yaml")
        with open(models, "w") as f:
            f.write("models:\n  - name: stem\n    activation: relu\n")
        grpc_port, metrics_port, prometheus_port = free_port(), free_port(), free_port()
        processes.start([args.server, f"--address=127.0.0.1:{grpc_port}", f"--metrics-address=127.0.0.1:{metrics_port}",
                         f"--models={models}", "--threads=2", "--dead-unit-window-requests=100"],
                        os.path.join(scratch, "server.log"))
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        wait_until("the rectifier-server metrics endpoint", lambda: "rectifier_build_info" in http_get(metrics_url), 30)

        # Prometheus with the deploy scrape config, retargeted at the test server and scraping every second.
        with open(os.path.join(deploy, "prometheus", "prometheus.yml")) as f:
            config = yaml.safe_load(f)
        config["global"]["scrape_interval"] = "1s"
        config["global"]["evaluation_interval"] = "1s"
        config["rule_files"] = [os.path.join(rules_dir, "*.yml")]
        (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "rectifier"]
        job["static_configs"] = [{"targets": [f"127.0.0.1:{metrics_port}"]}]
        config_path = os.path.join(scratch, "prometheus.yml")
        with open(config_path, "w") as f:
            yaml.safe_dump(config, f)
        run(["promtool", "check", "config", config_path])
        prometheus = f"http://127.0.0.1:{prometheus_port}"
        processes.start(["prometheus", f"--config.file={config_path}", f"--storage.tsdb.path={scratch}/tsdb",
                         f"--web.listen-address=127.0.0.1:{prometheus_port}", "--log.level=warn"],
                        os.path.join(scratch, "prometheus.log"))
        wait_until("Prometheus to be ready", lambda: "Ready" in http_get(f"{prometheus}/-/ready"), 30)

        pb2, pb2_grpc = generate_stubs(source, scratch)
        drive_load(f"127.0.0.1:{grpc_port}", pb2, pb2_grpc, args.load_seconds)
        run(["promtool", "check", "metrics"], input=http_get(metrics_url))

        # Enough scrapes after the load for rate() over 30s and the histograms.
        wait_until("scrapes of the load", lambda: query(prometheus, 'count_over_time(rectifier_build_info[30s])')
                   and float(query(prometheus, 'count_over_time(rectifier_build_info[30s])')[0]["value"][1]) >= 10, 30)
        time.sleep(2)

        failures = []
        dashboard = os.path.join(deploy, "grafana", "dashboards", "rectifier.json")
        checked = 0
        for what, expr in dashboard_queries(dashboard):
            checked += 1
            if not query(prometheus, expr):
                failures.append(f"{what}: no data for {expr}")
        for what, expr, operand in alert_queries(rules_dir):
            checked += 1
            query(prometheus, expr)  # Valid PromQL (may be empty: the alert does not fire).
            if not query(prometheus, operand):
                failures.append(f"{what}: no data for {operand}")
        # The rules evaluate without error, and the dead channels (2 of 4) raise RectifierDeadChannels.
        rules = json.loads(http_get(f"{prometheus}/api/v1/rules"))["data"]["groups"]
        for group in rules:
            for rule in group["rules"]:
                if rule.get("health") != "ok":
                    failures.append(f"rule {rule['name']} health {rule.get('health')}: {rule.get('lastError')}")
        wait_until("RectifierDeadChannels to be pending",
                   lambda: any(a["labels"]["alertname"] == "RectifierDeadChannels" and a["labels"].get("model") == "stem"
                               for a in json.loads(http_get(f"{prometheus}/api/v1/alerts"))["data"]["alerts"]), 10)
        if failures:
            raise AssertionError("\n".join(failures))
        print(f"monitoring e2e: {checked} dashboard and alert expressions return data "
              f"({time.monotonic() - started:.1f}s)")
        return 0
    except Exception:
        for log in ("server.log", "prometheus.log"):
            path = os.path.join(scratch, log)
            if os.path.exists(path):
                with open(path) as f:
                    sys.stderr.write(f"--- {log} (last 40 lines)\n" + "".join(f.readlines()[-40:]))
        raise
    finally:
        processes.stop_all()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
