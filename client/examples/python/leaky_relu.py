#!/usr/bin/python3
"""Rectifier from Python: NumPy in and out, one leaky_relu call and one streaming call.

Needs python3-grpcio and python3-numpy (Debian), and the stubs from generate_stubs.sh:
    client/examples/python/generate_stubs.sh /tmp/stubs
    PYTHONPATH=/tmp/stubs client/examples/python/leaky_relu.py 127.0.0.1:50051
"""
import sys

import grpc
import numpy as np

from rectifier.v1 import rectifier_pb2 as pb
from rectifier.v1 import rectifier_pb2_grpc as pb_grpc

# NumPy dtypes and their rectifier.v1 data types (the wire format is little-endian).
DTYPES = {np.dtype("<f4"): pb.DATA_TYPE_FLOAT32, np.dtype("<f8"): pb.DATA_TYPE_FLOAT64,
          np.dtype("<f2"): pb.DATA_TYPE_FLOAT16}


def to_tensor(array):
    array = np.ascontiguousarray(array)
    return pb.Tensor(dtype=DTYPES[array.dtype], shape=list(array.shape), data=array.tobytes())


def from_tensor(tensor):
    dtype = next(d for d, t in DTYPES.items() if t == tensor.dtype)
    return np.frombuffer(tensor.data, dtype=dtype).reshape(tuple(tensor.shape))


def main():
    address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.ActivationServiceStub(channel)

        # One call: leaky_relu with a slope of 0.2 on a float32 matrix.
        x = np.array([[-2.0, -0.5, 0.0], [0.5, 2.0, 4.0]], dtype=np.float32)
        request = pb.ApplyRequest(activation=pb.Activation(leaky_relu=pb.LeakyRelu(negative_slope=0.2)),
                                  input=to_tensor(x))
        y = from_tensor(stub.Apply(request, timeout=10).output)
        print("leaky_relu", y.tolist())

        # One stream: gelu on three float64 vectors; responses carry their request_id.
        requests = [pb.ApplyRequest(request_id=f"r{i}", activation=pb.Activation(gelu=pb.Gelu()),
                                    input=to_tensor(np.linspace(-1.0, 1.0, 3) * (i + 1)))
                    for i in range(3)]
        for response in stub.ApplyStream(iter(requests), timeout=10):
            if response.HasField("error"):
                print(response.request_id, "failed:", response.error.message)
            else:
                print("gelu", response.request_id, np.round(from_tensor(response.output), 6).tolist())


if __name__ == "__main__":
    main()
