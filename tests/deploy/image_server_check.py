#!/usr/bin/python3
"""Checks a running rectifier-server from the outside, as deploy/test-image.sh needs it: health SERVING on
the main and the health-only port (a raw grpc.health.v1 call, independent of Rectifier's own client), the
models of deploy/k8s/models.yaml listed, and one Apply of a model from that file compared bit for bit with
NumPy (prelu is piecewise linear: x if x > 0 else float32(weight[c]) * x, exactly rounded).

Usage: image_server_check.py --root REPO --address HOST:PORT --health-address HOST:PORT
"""
import argparse
import pathlib
import sys
import tempfile
import time

import grpc
import numpy as np
import yaml

SERVING = 1
STARTUP_TIMEOUT_SECONDS = 120  # First start in a fresh image: the kernels warm up before SERVING.


def health_status(address):
    """grpc.health.v1.Health/Check for the whole server; the status enum, or None when unreachable."""
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                    request_serializer=lambda raw: raw, response_deserializer=lambda raw: raw)
        try:
            response = check(b"", timeout=5)  # HealthCheckRequest{service: ""} encodes to no bytes.
        except grpc.RpcError:
            return None
    # HealthCheckResponse{status = 1 (varint)}: b"\x08" + status; empty when status is 0 (UNKNOWN).
    return response[1] if len(response) == 2 and response[0] == 0x08 else 0


def wait_serving(address):
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    status = None
    while time.monotonic() < deadline:
        status = health_status(address)
        if status == SERVING:
            return
        time.sleep(0.5)
    sys.exit(f"FAIL: health at {address} is {status}, not SERVING, after {STARTUP_TIMEOUT_SECONDS}s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True, type=pathlib.Path)
    parser.add_argument("--address", required=True)
    parser.add_argument("--health-address", required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root / "scripts"))
    from first_call import load_stubs  # noqa: E402  (the README's first call generates the stubs)

    wait_serving(args.address)
    wait_serving(args.health_address)
    print(f"ok: health SERVING on {args.address} and on the health-only port {args.health_address}")

    models = yaml.safe_load((args.root / "deploy/k8s/models.yaml").read_text())["models"]
    prelu = next(m for m in models if m["activation"].startswith("prelu("))
    weights = [float(w) for w in prelu["activation"].split("[")[1].split("]")[0].split(",")]

    with tempfile.TemporaryDirectory() as out_dir:
        pb, pb_grpc = load_stubs(out_dir)
        with grpc.insecure_channel(args.address) as channel:
            stub = pb_grpc.ActivationServiceStub(channel)
            listed = {m.name for m in stub.ListModels(pb.ListModelsRequest(), timeout=10).models}
            missing = {m["name"] for m in models} - listed
            if missing:
                sys.exit(f"FAIL: models of deploy/k8s/models.yaml not served: {sorted(missing)}")

            x = np.array([-3.5, -1.0, -0.0, 0.0, 0.75, 2.0], dtype="<f4")
            x = np.concatenate([x, -x]).reshape(2, len(weights), -1)
            response = stub.Apply(pb.ApplyRequest(
                request_id="image-check", model=prelu["name"],
                input=pb.Tensor(dtype=pb.DATA_TYPE_FLOAT32, shape=list(x.shape), data=x.tobytes())), timeout=10)
    got = np.frombuffer(response.output.data, dtype="<f4").reshape(tuple(response.output.shape))
    w = np.array(weights, dtype="<f4").reshape(1, -1, 1)
    want = np.where(x > 0, x, x * w).astype("<f4")
    if got.shape != want.shape or got.tobytes() != want.tobytes():
        sys.exit(f"FAIL: Apply model {prelu['name']}:\n input {x.tolist()}\n got {got.tolist()}\n want {want.tolist()}")
    print(f"ok: {len(listed)} models listed; Apply model {prelu['name']} ({prelu['activation']}) is bit-exact")


if __name__ == "__main__":
    main()
