#!/usr/bin/python3
"""Writes expected.json: Open Inference Protocol requests for rectifier-server and PyTorch's answers.

Run with Debian's /usr/bin/python3 (python3-torch, PyTorch 1.13); the output is committed so the Node.js
test (oip_client_test.js) needs no Python. Outputs are float32/float64 values PyTorch computed, written as
JSON numbers (exact: every float32 and float64 is a double).
"""
import json
import pathlib

import torch
import torch.nn.functional as F

X = [-8.0, -3.0, -1.5, -0.5, -0.0, 0.0, 0.5, 1.0, 2.5, 3.0, 6.0, 7.25]
SHAPE = [2, 6]


def param(kind, value):
    return {"kind": kind, "value": value}


# (model, OIP parameters, PyTorch function, exact): exact when the activation is piecewise linear, so the
# server must match PyTorch bit for bit; otherwise within a few float32 ulps.
CASES = [
    ("relu", {}, F.relu, True),
    ("leaky_relu", {"negative_slope": param("double_param", 0.2)}, lambda x: F.leaky_relu(x, 0.2), True),
    ("elu", {"alpha": param("double_param", 0.7)}, lambda x: F.elu(x, alpha=0.7), False),
    ("selu", {}, F.selu, False),
    ("celu", {"alpha": param("double_param", 1.5)}, lambda x: F.celu(x, alpha=1.5), False),
    ("crelu", {"axis": param("int64_param", 0)}, lambda x: torch.cat([F.relu(x), F.relu(-x)], 0), True),
    ("relu6", {}, F.relu6, True),
    ("hardtanh", {"min_val": param("double_param", -0.5), "max_val": param("int64_param", 2)},
     lambda x: F.hardtanh(x, -0.5, 2.0), True),
    ("gelu", {}, F.gelu, False),
    ("gelu", {"approximate": param("string_param", "tanh")}, lambda x: F.gelu(x, approximate="tanh"), False),
    ("silu", {}, F.silu, False),
    ("mish", {}, F.mish, False),
    ("sigmoid", {}, torch.sigmoid, False),
    ("tanh", {}, torch.tanh, False),
    ("softplus", {"beta": param("double_param", 2.0), "threshold": param("double_param", 10.0)},
     lambda x: F.softplus(x, beta=2.0, threshold=10.0), False),
    ("hardswish", {}, F.hardswish, True),
    ("hardsigmoid", {}, F.hardsigmoid, True),
    ("logsigmoid", {}, F.logsigmoid, False),
    ("threshold", {"threshold": param("double_param", 0.5), "value": param("double_param", -2.0)},
     lambda x: F.threshold(x, 0.5, -2.0), True),
]

TORCH_TYPES = {"FP32": torch.float32, "FP64": torch.float64, "INT8": torch.int8}


def case(model, params, fn, exact, datatype, contents, weight=None):
    x = torch.tensor(X, dtype=TORCH_TYPES[datatype]).reshape(SHAPE)
    y = fn(x)
    out = {
        "model": model, "parameters": params, "datatype": datatype, "shape": SHAPE,
        "input": x.flatten().tolist(), "contents": contents,
        "out_datatype": {torch.float32: "FP32", torch.float64: "FP64", torch.int8: "INT8"}[y.dtype],
        "out_shape": list(y.shape), "output": y.flatten().tolist(), "exact": exact,
    }
    if weight is not None:
        out["weight"] = weight
    return out


def main():
    cases = []
    for model, params, fn, exact in CASES:
        cases.append(case(model, params, fn, exact, "FP32", "raw"))
    for model, params, fn, exact in CASES[:4]:
        cases.append(case(model, params, fn, exact, "FP64", "raw"))
    cases.append(case("gelu", {}, F.gelu, False, "FP32", "typed"))
    cases.append(case("relu6", {}, F.relu6, True, "INT8", "typed"))
    cases.append(case("sigmoid", {}, torch.sigmoid, False, "INT8", "typed"))
    weight = [0.25, -0.5, 1.0, 2.0, 0.0, 0.125]
    cases.append(case("prelu", {}, lambda x: F.prelu(x, torch.tensor(weight, dtype=x.dtype)), True, "FP32", "raw",
                      weight=weight))
    path = pathlib.Path(__file__).with_name("expected.json")
    path.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
