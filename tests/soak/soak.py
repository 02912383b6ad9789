#!/usr/bin/python3
"""Soak and fault test of rectifier-server on loopback (registered with CTest, label `soak`).

Runs the real rectifier-server binary and, through Python gRPC stubs generated at run time (Debian's protoc
and grpc_python_plugin), checks three things:

1. Load: SOAK_SECONDS (default 180) at saturation from many threads with random activations, sizes, data
   types and ranks, unary and streaming, some calls cancelled and some with deadlines too short to meet.
   Every OK response is compared with PyTorch (float32/float64 within tolerance, piecewise-linear exactly,
   float16/bfloat16 within one rounding); every other outcome must be one the call asked for (CANCELLED,
   DEADLINE_EXCEEDED) or a clean refusal (UNAVAILABLE: executor queue full). Resident memory after the load
   must be within 10% of what it was after the warm-up (the first third).
2. Disconnects: client processes killed (SIGKILL) in the middle of a stream with requests in flight; the
   server's open file descriptors return to their baseline and its memory does not grow with the number of
   disconnects (least-squares trend under a quarter of what a leaked stream holds).
3. SIGTERM under load: every call accepted before the signal completes correctly, or is refused cleanly
   with UNAVAILABLE; none hangs or is lost; the process exits 0 within its grace period. (Calls gRPC has
   received but not yet handed to the service when it shuts down end CANCELLED: gRPC 1.51 behaviour,
   counted apart; the server's log must show that no accepted call was cancelled.)

Usage: soak.py --server build/release/server/rectifier-server [--seconds N] [--threads N] [--rss-log FILE]
Exit status 0 on success, 1 on failure (with the reasons), 77 when a Python dependency is missing.
"""
import argparse
import collections
import os
import pathlib
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    import grpc
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as error:  # pragma: no cover
    print(f"soak: skipped, {error}")
    sys.exit(77)

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAX_ELEMENTS = 1 << 18          # Largest random tensor: 1 MiB of float32, above the inline limit.
CALL_TIMEOUT_S = 30.0           # Deadline of calls that are not meant to expire: a hang shows up as a failure.
RSS_GROWTH_LIMIT = 0.10
# RSS trend over the disconnects: a quarter of what one leaked stream (64 requests of 64 KiB) holds.
DISCONNECT_SLOPE_LIMIT_MIB = 1.0
torch.set_num_threads(1)


def least_squares_slope(values):
    """Slope of the least-squares line through (i, values[i])."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    covariance = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return covariance / sum((i - mean_x) ** 2 for i in range(n))


def load_stubs(out_dir):
    subprocess.run(
        ["protoc", f"-I{ROOT / 'proto'}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
         f"--plugin=protoc-gen-grpc_python={shutil.which('grpc_python_plugin')}", "rectifier/v1/rectifier.proto"],
        check=True)
    sys.path.insert(0, str(out_dir))
    from rectifier.v1 import rectifier_pb2, rectifier_pb2_grpc  # noqa: E402
    return rectifier_pb2, rectifier_pb2_grpc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A rectifier-server child process on a free loopback port."""

    def __init__(self, binary, log_path, grace="5s"):
        self.port = free_port()
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [binary, "--address", f"127.0.0.1:{self.port}", "--metrics-address=", "--threads", "2",
             "--shutdown-grace", grace, "--log-level", "info"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.address = f"127.0.0.1:{self.port}"

    def wait_ready(self, pb, pb_grpc, timeout_s=60):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode} during start-up")
            try:
                with grpc.insecure_channel(self.address) as channel:
                    pb_grpc.ActivationServiceStub(channel).ListActivations(pb.ListActivationsRequest(), timeout=1)
                return
            except grpc.RpcError:
                time.sleep(0.1)
        raise RuntimeError("server not ready")

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fds(self):
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------------------------
# Random requests and their PyTorch oracle.

FLOAT_TYPES = ["float32", "float64", "float16", "bfloat16"]
INT_TYPES = ["int8", "int32", "int64"]
# name -> (proto field builder, torch function of a float tensor, piecewise linear, integer inputs accepted)
ACTIVATIONS = {
    "relu": (lambda pb: pb.Activation(relu=pb.Relu()), F.relu, True, True),
    "relu6": (lambda pb: pb.Activation(relu6=pb.Relu6()), F.relu6, True, True),
    "leaky_relu": (lambda pb: pb.Activation(leaky_relu=pb.LeakyRelu(negative_slope=0.125)),
                   lambda x: F.leaky_relu(x, 0.125), True, False),
    "hardtanh": (lambda pb: pb.Activation(hardtanh=pb.Hardtanh(min_val=-2, max_val=3)),
                 lambda x: F.hardtanh(x, -2.0, 3.0), True, True),
    "hardswish": (lambda pb: pb.Activation(hardswish=pb.Hardswish()), F.hardswish, True, False),
    "elu": (lambda pb: pb.Activation(elu=pb.Elu(alpha=0.5)), lambda x: F.elu(x, 0.5), False, False),
    "gelu": (lambda pb: pb.Activation(gelu=pb.Gelu()), F.gelu, False, False),
    "gelu_tanh": (lambda pb: pb.Activation(gelu=pb.Gelu(approximate="tanh")),
                  lambda x: F.gelu(x, approximate="tanh"), False, False),
    "silu": (lambda pb: pb.Activation(silu=pb.Silu()), F.silu, False, False),
    "mish": (lambda pb: pb.Activation(mish=pb.Mish()), F.mish, False, False),
    "sigmoid": (lambda pb: pb.Activation(sigmoid=pb.Sigmoid()), torch.sigmoid, False, False),
    "tanh": (lambda pb: pb.Activation(tanh=pb.Tanh()), torch.tanh, False, False),
    "softplus": (lambda pb: pb.Activation(softplus=pb.Softplus(beta=2, threshold=10)),
                 lambda x: F.softplus(x, 2.0, 10.0), False, False),
}


def proto_dtype(pb, name):
    return getattr(pb, "DATA_TYPE_" + name.upper())


def random_case(rng, pb):
    name = rng.choice(list(ACTIVATIONS))
    build, fn, piecewise, ints = ACTIVATIONS[name]
    dtype = rng.choice(FLOAT_TYPES + (INT_TYPES if ints else []))
    elements = int(2 ** rng.uniform(0, 18))
    rank = rng.randint(1, 4)
    shape = [elements] + [1] * (rank - 1)
    rng.shuffle(shape)
    if dtype in INT_TYPES:
        info = np.iinfo(dtype)
        x = torch.from_numpy(np.random.default_rng(rng.getrandbits(32)).integers(
            max(info.min, -100), min(info.max, 100), size=shape, dtype=dtype))
    else:
        base = torch.from_numpy(np.random.default_rng(rng.getrandbits(32)).normal(0, 4, size=shape))
        x = base.to(getattr(torch, dtype))
    data = x.view(torch.int16).numpy().tobytes() if dtype == "bfloat16" else x.numpy().tobytes()
    request = pb.ApplyRequest(activation=build(pb), input=pb.Tensor(dtype=proto_dtype(pb, dtype), shape=shape,
                                                                    data=data))
    return name, dtype, x, request


def expected(name, dtype, x):
    _, fn, piecewise, _ = ACTIVATIONS[name]
    if dtype in INT_TYPES:
        return fn(x)  # relu, relu6 and hardtanh keep integer types in PyTorch.
    if dtype in ("float16", "bfloat16"):
        return fn(x.float()).to(x.dtype)  # Computed in float32, rounded to nearest even (README).
    return fn(x)


def check_response(name, dtype, x, response):
    """None when the response is right, else what is wrong."""
    want = expected(name, dtype, x)
    if list(response.output.shape) != list(want.shape):
        return f"{name}/{dtype}: shape {list(response.output.shape)}, want {list(want.shape)}"
    if dtype == "bfloat16":
        got = torch.from_numpy(np.frombuffer(response.output.data, dtype=np.int16).copy()).view(torch.bfloat16)
    else:
        got = torch.from_numpy(np.frombuffer(response.output.data, dtype=dtype).copy())
    got = got.reshape(want.shape)
    piecewise = ACTIVATIONS[name][2]
    if piecewise or dtype in INT_TYPES:
        ok = torch.equal(got, want)
    else:
        tolerance = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12), "float16": (2e-3, 1e-4),
                     "bfloat16": (1.6e-2, 1e-3)}[dtype]
        ok = torch.allclose(got.double(), want.double(), rtol=tolerance[0], atol=tolerance[1], equal_nan=True)
    if not ok:
        diff = (got.double() - want.double()).abs().max().item()
        return f"{name}/{dtype}/{list(want.shape)}: max difference {diff}"
    return None


# ---------------------------------------------------------------------------------------------------------
# Load.

class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.failures = []

    def add(self, key, failure=None):
        with self.lock:
            self.counts[key] += 1
            if failure and len(self.failures) < 20:
                self.failures.append(failure)


def unary_call(rng, pb, stub, tally, sigterm_sent=None):
    name, dtype, x, request = random_case(rng, pb)
    mode = rng.random()
    short_deadline = mode < 0.05
    cancel = 0.05 <= mode < 0.10
    future = stub.Apply.future(request, timeout=rng.uniform(0.0005, 0.005) if short_deadline else CALL_TIMEOUT_S)
    if cancel:
        time.sleep(rng.uniform(0, 0.002))
        future.cancel()
    try:
        response = future.result()
    except grpc.FutureCancelledError:
        tally.add("cancelled")
        return
    except grpc.RpcError as error:
        code = error.code()
        if code == grpc.StatusCode.DEADLINE_EXCEEDED and short_deadline:
            tally.add("deadline_exceeded (asked for)")
        elif code == grpc.StatusCode.CANCELLED and cancel:
            tally.add("cancelled")
        elif code == grpc.StatusCode.UNAVAILABLE:
            tally.add("unavailable")
        elif code == grpc.StatusCode.CANCELLED and sigterm_sent is not None and sigterm_sent.is_set():
            tally.add("cancelled during shutdown")
        else:
            tally.add("failed", f"unary {name}/{dtype}: {code} {error.details()}")
        return
    failure = check_response(name, dtype, x, response)
    tally.add("failed" if failure else "ok", failure)


def stream_call(rng, pb, stub, tally, sigterm_sent=None):
    cases = [random_case(rng, pb) for _ in range(rng.randint(1, 6))]
    for i, case in enumerate(cases):
        case[3].request_id = f"s{i}"
    cancel = rng.random() < 0.1
    call = stub.ApplyStream(iter([case[3] for case in cases]), timeout=CALL_TIMEOUT_S)
    answered = 0
    try:
        for response in call:
            if cancel and answered == 0:
                call.cancel()
            i = int(response.request_id[1:])
            name, dtype, x, _ = cases[i]
            if response.HasField("error"):
                if response.error.code == grpc.StatusCode.UNAVAILABLE.value[0]:
                    tally.add("unavailable")
                else:
                    tally.add("failed", f"stream {name}/{dtype}: error {response.error.code} {response.error.message}")
            else:
                failure = check_response(name, dtype, x, response)
                tally.add("failed" if failure else "ok", failure)
            answered += 1
    except grpc.RpcError as error:
        code = error.code()
        if code == grpc.StatusCode.CANCELLED and cancel:
            tally.add("cancelled")
        elif code == grpc.StatusCode.UNAVAILABLE:
            tally.add("unavailable")
        elif code == grpc.StatusCode.CANCELLED and sigterm_sent is not None and sigterm_sent.is_set():
            tally.add("cancelled during shutdown")
        else:
            tally.add("failed", f"stream: {code} {error.details()}")
        return
    if answered != len(cases):
        tally.add("failed", f"stream: {answered} responses to {len(cases)} requests")


def load(pb, pb_grpc, address, seconds, threads, tally, seed, stop_event=None, sigterm_sent=None):
    """Runs `threads` clients (one channel each) for `seconds` or until stop_event is set."""
    end = time.time() + seconds

    def client(index):
        rng = random.Random(seed * 1000 + index)
        with grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", -1)]) as channel:
            stub = pb_grpc.ActivationServiceStub(channel)
            while time.time() < end and not (stop_event and stop_event.is_set()):
                if rng.random() < 0.2:
                    stream_call(rng, pb, stub, tally, sigterm_sent)
                else:
                    unary_call(rng, pb, stub, tally, sigterm_sent)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    return workers


# ---------------------------------------------------------------------------------------------------------
# Phases.

def phase_load(args, pb, pb_grpc, tmp, problems):
    server = Server(args.server, tmp / "load.log")
    try:
        server.wait_ready(pb, pb_grpc)
        tally = Tally()
        warm_up = args.seconds / 3
        start = time.time()
        workers = load(pb, pb_grpc, server.address, args.seconds, args.threads, tally, seed=1)
        # The warm-up's high-water mark: the allocator's steady state under this load.
        rss_warm = 0
        series = []
        while time.time() < start + warm_up:
            rss_warm = max(rss_warm, server.rss_kib())
            series.append((time.time() - start, server.rss_kib()))
            time.sleep(0.5)
        samples = []
        while any(w.is_alive() for w in workers):
            samples.append(server.rss_kib())
            series.append((time.time() - start, samples[-1]))
            time.sleep(1)
        if args.rss_log:
            pathlib.Path(args.rss_log).write_text("".join(f"{t:.1f} {r}\n" for t, r in series))
        for w in workers:
            w.join()
        time.sleep(1)
        rss_end = server.rss_kib()
        growth = (rss_end - rss_warm) / rss_warm
        total = sum(tally.counts.values())
        print(f"load: {args.seconds:.0f} s, {args.threads} clients, {total} requests "
              f"({total / args.seconds:.0f}/s): {dict(tally.counts)}")
        print(f"load: RSS peak in the warm-up {rss_warm / 1024:.1f} MiB, peak {max(samples or [0]) / 1024:.1f} MiB, "
              f"end {rss_end / 1024:.1f} MiB ({growth:+.1%})")
        if tally.counts["failed"]:
            problems.append(f"load: {tally.counts['failed']} failed requests, e.g. {tally.failures[:5]}")
        if tally.counts["ok"] < 100:
            problems.append(f"load: only {tally.counts['ok']} OK responses")
        if growth > RSS_GROWTH_LIMIT:
            problems.append(f"load: RSS grew {growth:.1%} after warm-up (limit {RSS_GROWTH_LIMIT:.0%})")
        if server.process.poll() is not None:
            problems.append(f"load: the server exited with {server.process.returncode}")
        phase_disconnects(args, pb, pb_grpc, server, tmp, problems)
    finally:
        server.stop()


DISCONNECTING_CLIENT = r'''
import sys, time, grpc
sys.path.insert(0, sys.argv[1])
from rectifier.v1 import rectifier_pb2 as pb, rectifier_pb2_grpc as pb_grpc
import numpy as np
data = np.linspace(-4, 4, 1 << 14, dtype="<f4").tobytes()
def requests():
    for i in range(10000):
        yield pb.ApplyRequest(request_id=str(i), activation=pb.Activation(gelu=pb.Gelu()),
                              input=pb.Tensor(dtype=pb.DATA_TYPE_FLOAT32, shape=[1 << 14], data=data))
channel = grpc.insecure_channel(sys.argv[2], options=[("grpc.max_receive_message_length", -1)])
call = pb_grpc.ActivationServiceStub(channel).ApplyStream(requests())
next(call)
print("streaming", flush=True)
time.sleep(60)
'''


def phase_disconnects(args, pb, pb_grpc, server, tmp, problems):
    """Clients killed mid-stream leave nothing behind: fds back to baseline, memory flat."""
    def disconnect_one():
        client = subprocess.Popen([sys.executable, "-c", DISCONNECTING_CLIENT, str(tmp / "stubs"), server.address],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = client.stdout.readline()
        if b"streaming" not in line:
            problems.append("disconnects: a client did not get its first response")
        time.sleep(0.2)
        client.kill()
        client.wait()
        client.stdout.close()

    # Half as many first, so that the baseline includes the buffers a full stream needs (64 outstanding
    # requests of 64 KiB whose responses the client does not read, so that the server pauses reading) and the
    # allocator's steady state. Then RSS after each disconnect: a leaked stream would keep its 4 MiB of
    # requests, so leaks grow RSS in proportion to the disconnects, at up to 4 MiB each, while the allocator's
    # transients (one stream's buffers, freed or not yet reused: about +-8% of RSS between any two points)
    # do not. The check is on the least-squares slope, which a transient moves by a tenth of its size.
    for _ in range(max(2, args.disconnects // 2)):
        disconnect_one()
    time.sleep(2)
    fds_before, rss_before = server.fds(), server.rss_kib()
    rss_series = []
    for _ in range(args.disconnects):
        disconnect_one()
        rss_series.append(server.rss_kib() / 1024)
    deadline = time.time() + 20
    while time.time() < deadline and server.fds() > fds_before:
        time.sleep(0.2)
    time.sleep(1)
    fds_after, rss_after = server.fds(), server.rss_kib()
    growth = (rss_after - rss_before) / rss_before
    slope = least_squares_slope(rss_series)
    print(f"disconnects: {args.disconnects} clients killed mid-stream; fds {fds_before} -> {fds_after}, "
          f"RSS {rss_before / 1024:.1f} -> {rss_after / 1024:.1f} MiB ({growth:+.1%}), "
          f"trend {slope:+.3f} MiB per disconnect")
    if fds_after > fds_before:
        problems.append(f"disconnects: {fds_after - fds_before} file descriptors not released")
    if slope > DISCONNECT_SLOPE_LIMIT_MIB:
        problems.append(f"disconnects: RSS grew {slope:.2f} MiB per disconnect (limit {DISCONNECT_SLOPE_LIMIT_MIB} "
                        f"MiB: a leaked stream holds 4 MiB)")
    # And the server still serves.
    try:
        with grpc.insecure_channel(server.address) as channel:
            pb_grpc.ActivationServiceStub(channel).ListModels(pb.ListModelsRequest(), timeout=10)
    except grpc.RpcError as error:
        problems.append(f"disconnects: the server no longer serves: {error.code()}")


def phase_sigterm(args, pb, pb_grpc, tmp, problems):
    server = Server(args.server, tmp / "sigterm.log", grace="5s")
    try:
        server.wait_ready(pb, pb_grpc)
        tally = Tally()
        stop = threading.Event()
        sigterm_sent = threading.Event()
        workers = load(pb, pb_grpc, server.address, 60, args.threads, tally, seed=2, stop_event=stop,
                       sigterm_sent=sigterm_sent)
        time.sleep(min(10.0, args.seconds / 4))
        signalled = time.time()
        sigterm_sent.set()
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(timeout=5 + 10)
        except subprocess.TimeoutExpired:
            code = None
        exited = time.time() - signalled
        stop.set()
        for w in workers:
            w.join(timeout=CALL_TIMEOUT_S + 5)
        hung = sum(w.is_alive() for w in workers)
        print(f"sigterm: exit status {code} {exited:.1f} s after SIGTERM; outcomes {dict(tally.counts)}")
        if code != 0:
            problems.append(f"sigterm: exit status {code} (want 0 within the 5 s grace)")
        if hung:
            problems.append(f"sigterm: {hung} clients still waiting for an answer")
        if tally.counts["failed"]:
            problems.append(f"sigterm: {tally.counts['failed']} requests lost or wrong, e.g. {tally.failures[:5]}")
        # gRPC 1.51 cancels calls it has received but not yet handed to the service when the server shuts
        # down (the client sees CANCELLED): Rectifier never accepted them. Calls it did accept are
        # cancelled only when the grace period expires, which the server logs; that must not happen here.
        server.log.flush()
        log = (tmp / "sigterm.log").read_text(errors="replace")
        if "0 calls cancelled at the end of the grace period" not in log:
            problems.append("sigterm: accepted calls were cancelled at the end of the grace period")
        if tally.counts["unavailable"] == 0:
            problems.append("sigterm: no call was refused with UNAVAILABLE: the signal missed the load")
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "180")))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--disconnects", type=int, default=20)
    parser.add_argument("--rss-log", help="write the load phase's RSS samples (seconds, KiB) to this file")
    args = parser.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix="rectifier_soak_") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        (tmp / "stubs").mkdir()
        pb, pb_grpc = load_stubs(tmp / "stubs")
        started = time.time()
        phase_load(args, pb, pb_grpc, tmp, problems)
        phase_sigterm(args, pb, pb_grpc, tmp, problems)
        print(f"soak: {time.time() - started:.0f} s in all")
        if problems:
            for log in ("load.log", "sigterm.log"):
                text = (tmp / log).read_text(errors="replace")
                print(f"--- {log} (last lines)\n" + "\n".join(text.splitlines()[-15:]))
    for problem in problems:
        print("FAIL", problem)
    print("soak: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
