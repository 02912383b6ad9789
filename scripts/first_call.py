#!/usr/bin/python3
"""A first call to a running rectifier-server: leaky_relu on a few float32 values.

Generates the Python stubs from proto/ with Debian's protoc and grpc_python_plugin into a temporary folder,
so it needs nothing but python3-grpcio, python3-numpy and protobuf-compiler-grpc.
Usage: scripts/first_call.py [ADDRESS]   (default 127.0.0.1:50051)
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

import grpc
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_stubs(out_dir):
    subprocess.run(
        ["protoc", f"-I{ROOT / 'proto'}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}",
         f"--plugin=protoc-gen-grpc_python={shutil.which('grpc_python_plugin')}",
         "rectifier/v1/rectifier.proto"],
        check=True)
    sys.path.insert(0, str(out_dir))
    from rectifier.v1 import rectifier_pb2, rectifier_pb2_grpc  # noqa: E402
    return rectifier_pb2, rectifier_pb2_grpc


def main():
    address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    with tempfile.TemporaryDirectory() as out_dir:
        pb, pb_grpc = load_stubs(out_dir)
        x = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]], dtype="<f4")
        request = pb.ApplyRequest(
            request_id="first-call",
            activation=pb.Activation(leaky_relu=pb.LeakyRelu(negative_slope=0.2)),
            input=pb.Tensor(dtype=pb.DATA_TYPE_FLOAT32, shape=list(x.shape), data=x.tobytes()))
        with grpc.insecure_channel(address) as channel:
            response = pb_grpc.ActivationServiceStub(channel).Apply(request, timeout=10)
        y = np.frombuffer(response.output.data, dtype="<f4").reshape(tuple(response.output.shape))
        print("input ", x)
        print("output", y)


if __name__ == "__main__":
    main()
