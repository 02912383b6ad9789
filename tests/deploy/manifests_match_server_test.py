#!/usr/bin/python3
"""Checks that deploy/k8s speaks the real server's language, from the rendered manifests and the real
rectifier-server binary:

- every flag in the container's args and every RECTIFIER_* variable in its env is one `rectifier-server
  --help` lists;
- the server accepts the container's configuration (args, env, the ConfigMap's model repository): it is
  started with it (addresses moved to free loopback ports) and must report SERVING on its health port;
- the probes use the --health-address port, the Services and the ServiceMonitor reach the ports the flags
  open, the selectors select the pods, terminationGracePeriodSeconds covers preStop plus --shutdown-grace;
- the metric names used for autoscaling (HPA patch, prometheus-adapter rule) are produced by the server
  (scraped from its /metrics).

Usage: manifests_match_server_test.py --server PATH/rectifier-server [--rendered DIR]
(DIR from tests/deploy/render-manifests.sh: base.yaml, queue-depth.yaml; rendered afresh when omitted)
"""
import argparse
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from image_server_check import health_status, SERVING  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60

# Metric names the metrics work defines (server/metrics*, branch `metrics`). Used only while the server
# source has no Prometheus exporter yet: then the names cannot be scraped and are checked against this list
# (reported as UNVERIFIED). Once the server links prometheus-cpp, the names must be scraped from /metrics.
PLANNED_SERVER_METRICS = {"rectifier_queue_depth"}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def load(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def one(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    if len(found) != 1:
        sys.exit(f"FAIL: expected one {kind} {name or ''}, found {len(found)}")
    return found[0]


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def split_flag(arg):
    name, _, value = arg.partition("=")
    return name, value


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_duration_seconds(text):
    match = re.fullmatch(r"([0-9.]+)(ms|s|m)", text)
    if not match:
        sys.exit(f"FAIL: cannot read the duration {text!r}")
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[match.group(2)]


def check_flags_and_env(container, help_text):
    help_flags = set(re.findall(r"--([a-z][a-z0-9-]*)", help_text))
    help_env = set(re.findall(r"env (RECTIFIER_[A-Z0-9_]+)", help_text))
    for arg in container.get("args", []):
        name, _ = split_flag(arg)
        check(name.startswith("--") and name[2:] in help_flags,
              f"container arg {arg!r}: rectifier-server has no flag {name}")
    for env in container.get("env", []):
        if env["name"].startswith("RECTIFIER_"):
            check(env["name"] in help_env, f"container env {env['name']}: rectifier-server reads no such variable")


def check_ports(objects, deployment, container, flags):
    pod = deployment["spec"]["template"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    health_port = port_of(flags["--health-address"])
    check(ports.get("grpc") == port_of(flags["--address"]), "containerPort grpc is not the --address port")
    check(ports.get("metrics") == port_of(flags["--metrics-address"]),
          "containerPort metrics is not the --metrics-address port")
    check(ports.get("health") == health_port, "containerPort health is not the --health-address port")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        grpc = container.get(probe, {}).get("grpc")
        check(grpc is not None and grpc["port"] == health_port,
              f"{probe} must be a native gRPC probe on the --health-address port {health_port}; is {grpc}")

    pod_labels = pod["metadata"]["labels"]
    check(selects(deployment["spec"]["selector"]["matchLabels"], pod_labels), "Deployment selector misses its pods")
    services = [o for o in objects if o["kind"] == "Service"]
    for service in services:
        check(selects(service["spec"]["selector"], pod_labels), f"Service {service['metadata']['name']} selects no pod")
        for port in service["spec"]["ports"]:
            check(port["targetPort"] in ports, f"Service {service['metadata']['name']} port {port['name']} "
                  f"targets {port['targetPort']}, not a container port")
    check(any(s["spec"].get("clusterIP") == "None" and any(p["targetPort"] == "grpc" for p in s["spec"]["ports"])
              for s in services), "no headless Service for the gRPC port (client-side round_robin)")
    check(any(s["spec"].get("type", "ClusterIP") == "ClusterIP" and s["spec"].get("clusterIP") != "None"
              for s in services), "no ClusterIP Service")

    monitor = one(objects, "ServiceMonitor")
    scraped = [s for s in services if selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])]
    check(len(scraped) == 1, f"the ServiceMonitor must select exactly one Service (pods scraped once); "
          f"selects {[s['metadata']['name'] for s in scraped]}")
    for endpoint in monitor["spec"]["endpoints"]:
        targets = [p["targetPort"] for s in scraped for p in s["spec"]["ports"] if p["name"] == endpoint["port"]]
        check(targets == ["metrics"], f"ServiceMonitor port {endpoint['port']} does not reach the metrics port")
        check(endpoint.get("path", "/metrics") == "/metrics", "ServiceMonitor path is not /metrics")

    pdb = one(objects, "PodDisruptionBudget")
    check(selects(pdb["spec"]["selector"]["matchLabels"], pod_labels), "PodDisruptionBudget selects no pod")
    hpa = one(objects, "HorizontalPodAutoscaler")
    check(hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"], "HPA targets another Deployment")
    check("cpu" in container["resources"].get("requests", {}), "HPA on CPU needs CPU requests")
    check("replicas" not in deployment["spec"], "Deployment sets replicas: every apply would undo the HPA")

    grace = parse_duration_seconds(flags.get("--shutdown-grace", "10s"))
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pre_stop_seconds = float(pre_stop[-1]) if pre_stop[:1] == ["sleep"] else 0
    termination = pod["spec"].get("terminationGracePeriodSeconds", 30)
    check(termination > grace + pre_stop_seconds,
          f"terminationGracePeriodSeconds {termination} must exceed preStop {pre_stop_seconds}s + --shutdown-grace {grace}s")


def scrape_metric_names(address):
    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError:
        return None
    return set(re.findall(r"^# TYPE (\S+)", text, re.M))


def server_has_exporter():
    return any("prometheus/" in p.read_text(errors="replace") for p in (ROOT / "server").glob("*.cc"))


def run_server_with_manifest_config(server, container, models_yaml, tmp):
    """Starts rectifier-server with the container's args and env (addresses on free loopback ports, the
    ConfigMap's models.yaml from a temporary file); returns (process, health address, metrics address)."""
    models_file = tmp / "models.yaml"
    models_file.write_text(models_yaml)
    health, metrics = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    moved = {"--address": f"127.0.0.1:{free_port()}", "--health-address": health, "--metrics-address": metrics,
             "--models": str(models_file)}
    args = []
    for arg in container.get("args", []):
        name, value = split_flag(arg)
        args.append(f"{name}={moved.get(name, value)}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFIER_")}
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif var.get("valueFrom", {}).get("resourceFieldRef", {}).get("resource") == "limits.cpu":
            env[var["name"]] = str(int(container["resources"]["limits"]["cpu"]))  # divisor 1: whole cores.
        else:
            check(False, f"env {var['name']}: this test does not know how to provide {var}")
    process = subprocess.Popen([server, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, health, metrics


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    parser.add_argument("--rendered", type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as rendered:
        if args.rendered is None:
            args.rendered = pathlib.Path(rendered)
            subprocess.run([ROOT / "tests/deploy/render-manifests.sh", rendered], check=True, stdout=subprocess.DEVNULL)
        run_checks(args)


def run_checks(args):

    help_text = subprocess.run([args.server, "--help"], check=True, capture_output=True, text=True).stdout
    objects = load(args.rendered / "base.yaml")
    deployment = one(objects, "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    flags = dict(split_flag(a) for a in container.get("args", []))
    for required in ("--address", "--metrics-address", "--health-address", "--models"):
        check(required in flags, f"container args lack {required}")
    if failures:
        sys.exit("FAIL:\n  " + "\n  ".join(failures))

    check_flags_and_env(container, help_text)
    check_ports(objects, deployment, container, flags)

    # The models file: the ConfigMap mounted where --models points.
    mount = next(m for m in container["volumeMounts"] if flags["--models"].startswith(m["mountPath"] + "/"))
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"])
    configmap = one(objects, "ConfigMap", volume["configMap"]["name"])
    models_yaml = configmap["data"][os.path.basename(flags["--models"])]

    autoscaling = one(load(args.rendered / "queue-depth.yaml"), "HorizontalPodAutoscaler")
    hpa_metrics = {m["pods"]["metric"]["name"] for m in autoscaling["spec"]["metrics"] if m["type"] == "Pods"}
    adapter = yaml.safe_load((ROOT / "deploy/k8s/components/queue-depth-autoscaling/prometheus-adapter-rules.yaml")
                             .read_text())
    adapter_metrics = {re.match(r"\w+", rule["seriesQuery"]).group(0) for rule in adapter["rules"]["custom"]}
    check(hpa_metrics and hpa_metrics <= adapter_metrics,
          f"HPA custom metrics {hpa_metrics} are not all served by the prometheus-adapter rules {adapter_metrics}")

    with tempfile.TemporaryDirectory() as tmp:
        process, health, metrics = run_server_with_manifest_config(args.server, container, models_yaml,
                                                                   pathlib.Path(tmp))
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
            while health_status(health) != SERVING and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.3)
            serving = check(process.poll() is None and health_status(health) == SERVING,
                            "rectifier-server with the manifest's args and env did not report SERVING on the "
                            "--health-address port")
            if serving:
                print(f"ok: rectifier-server runs with the manifest's configuration; SERVING on {health}")
                scraped = scrape_metric_names(metrics)
                if scraped is None and not server_has_exporter():
                    print(f"UNVERIFIED: the server has no /metrics yet (metrics branch not merged): metric names "
                          f"{sorted(hpa_metrics | adapter_metrics)} checked against the planned list only")
                    scraped = PLANNED_SERVER_METRICS
                check(scraped is not None, f"/metrics is not served on the --metrics-address port ({metrics})")
                missing = (hpa_metrics | adapter_metrics) - (scraped or set())
                check(not missing, f"metrics used for autoscaling are not produced by the server: {sorted(missing)}")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                _, stderr = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate()
        if failures and stderr:
            print("server log:\n" + stderr[-3000:])

    if failures:
        sys.exit("FAIL:\n  " + "\n  ".join(failures))
    print(f"ok: flags, env, probes, Services, ServiceMonitor, PDB, HPA and metric names match rectifier-server "
          f"({len(container['args'])} args, {len(container['env'])} env vars)")


if __name__ == "__main__":
    main()
