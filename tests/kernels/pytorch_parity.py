#!/usr/bin/python3
"""Parity of Rectifier's kernels with PyTorch 1.13 itself.

For every activation, several parameter sets and every data type PyTorch supports, generates special and
random inputs with torch, runs them all through `apply_tool --batch` (one process for everything, once per
backend), and compares the outputs with torch.nn.functional's.

Run by CTest with /usr/bin/python3 (Debian's python3-torch); exits 77 (skipped) where torch is missing.

TOLERANCES (`got` = Rectifier, `want` = PyTorch)

| activation                                  | float32, float64         | float16 (*)         | bfloat16             |
|---------------------------------------------|--------------------------|---------------------|----------------------|
| relu, leaky_relu, prelu, crelu, relu6,      | bit-exact, sign of zero  | bit-exact           | bit-exact            |
| hardtanh, threshold, hardswish, hardsigmoid | included                 |                     |                      |
| integer inputs: relu, relu6, hardtanh,      | bit-exact                | -                   | -                    |
| threshold                                   |                          |                     |                      |
| elu, selu, celu                             | 4 ulp or |d| <= 8 eps    | 1 ulp (**)          | 1 ulp (**)           |
| sigmoid, tanh, softplus, logsigmoid         | 4 ulp or |d| <= tiny     | 1 ulp (**)          | 1 ulp (**)           |
| silu                                        | 4 ulp or |d| <= tiny     | 1 ulp (**)          | 2 ulp (**)           |
| mish                                        | 8 ulp or |d| <= tiny     | 1 ulp (**)          | no PyTorch kernel    |
| gelu (none, tanh)                           | 8 ulp or |d| <= 16 eps   | 1 ulp (**)          | 1 ulp (**) (*)       |
| sigmoid, tanh of integers (float32 output)  | as float32               | -                   | -                    |
 (*) against PyTorch computed in float32 and rounded (see below).
 (**) or |d| within the float32 absolute bound of the same row.

 * ulp: distance in representable values of the output type; +0.0 and -0.0 count as one value for the
   smooth functions. eps: 2^-23 (float32), 2^-52 (float64). tiny: 1e-36 (float32), 1e-305 (float64).
 * Both sides have errors of their own here (PyTorch's Sleef/libm functions and formulas, ~1-2 ulp), so
   the bounds are those of apply_test.cc (got vs an exact reference) with the same headroom.
 * float16: PyTorch 1.13 has no float16 CPU activations; the reference is PyTorch computed in float32 on
   the same (float16) inputs, then rounded to float16; the parameters PyTorch converts to the tensor's
   dtype (hardtanh bounds, threshold's threshold and value, prelu weights: see bfloat16, where
   threshold(0.1) maps bfloat16(0.1) = 0.10009765625 to the value) are first rounded to float16.
 * bfloat16: PyTorch's own bfloat16 kernels, except gelu: PyTorch 1.13's bfloat16 gelu rounds its
   intermediates to bfloat16 (measured: gelu(approximate=tanh)(-3.0625) = -0.0 instead of -0.00298), so
   gelu is compared with PyTorch float32 rounded to bfloat16. silu's 2 ulp: PyTorch's bfloat16 silu is
   up to 2 ulp from its own float32 result rounded once. mish has no bfloat16 kernel in PyTorch 1.13.
 * Always exact: NaN positions (NaN in one result only is a failure), and +-inf (an infinity on either
   side must be the same infinity on the other).
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as error:  # pragma: no cover
    print(f"pytorch_parity: SKIPPED ({error}); needs /usr/bin/python3 with torch and numpy")
    sys.exit(77)

torch.set_num_threads(1)

# ---------------------------------------------------------------------------------------------------------
# Activations: (spec text, torch function of a float tensor, kind of tolerance).

PIECEWISE = "piecewise"


def crelu(axis):
    return lambda x: torch.cat([F.relu(x), F.relu(-x)], dim=axis)


# name -> tolerance class; the spec decides the name (text before '(').
SMOOTH_TOL = {
    # name: (ulps, abs as a multiple of eps or "tiny")
    "elu": (4, ("eps", 8)),
    "selu": (4, ("eps", 8)),
    "celu": (4, ("eps", 8)),
    "gelu": (8, ("eps", 16)),
    "mish": (8, ("tiny", 1)),
    "silu": (4, ("tiny", 1)),
    "sigmoid": (4, ("tiny", 1)),
    "tanh": (4, ("tiny", 1)),
    "softplus": (4, ("tiny", 1)),
    "logsigmoid": (4, ("tiny", 1)),
}
PIECEWISE_NAMES = {"relu", "leaky_relu", "prelu", "crelu", "relu6", "hardtanh", "threshold", "hardswish",
                   "hardsigmoid"}
BF16_ULPS = {"silu": 2}
BF16_VIA_FLOAT32 = {"gelu"}
NO_BF16 = {"mish"}

ELEMENTWISE = [
    ("relu", F.relu),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.01)),
    ("leaky_relu(negative_slope=0.2)", lambda x: F.leaky_relu(x, 0.2)),
    ("leaky_relu(negative_slope=-0.5)", lambda x: F.leaky_relu(x, -0.5)),
    ("elu", F.elu),
    ("elu(alpha=0.5)", lambda x: F.elu(x, 0.5)),
    ("selu", F.selu),
    ("celu", F.celu),
    ("celu(alpha=2)", lambda x: F.celu(x, 2.0)),
    ("relu6", F.relu6),
    ("hardtanh", F.hardtanh),
    ("hardtanh(min_val=-2, max_val=3)", lambda x: F.hardtanh(x, -2.0, 3.0)),
    ("hardtanh(min_val=-0.3, max_val=0.7)", lambda x: F.hardtanh(x, -0.3, 0.7)),
    ("gelu", F.gelu),
    ("gelu(approximate=tanh)", lambda x: F.gelu(x, approximate="tanh")),
    ("silu", F.silu),
    ("mish", F.mish),
    ("sigmoid", torch.sigmoid),
    ("tanh", torch.tanh),
    ("softplus", F.softplus),
    ("softplus(beta=2, threshold=5)", lambda x: F.softplus(x, 2.0, 5.0)),
    ("softplus(beta=0.7, threshold=3)", lambda x: F.softplus(x, 0.7, 3.0)),
    ("hardswish", F.hardswish),
    ("hardsigmoid", F.hardsigmoid),
    ("logsigmoid", F.logsigmoid),
    ("threshold(threshold=0.5, value=-1)", lambda x: F.threshold(x, 0.5, -1.0)),
    ("threshold(threshold=-2.5, value=0.1)", lambda x: F.threshold(x, -2.5, 0.1)),
    ("threshold(threshold=0.1, value=0.3)", lambda x: F.threshold(x, 0.1, 0.3)),
]

# Integer cases: spec, torch function, accepted integer dtypes.
ALL_INTS = [torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64]
SIGNED_INTS = [torch.int8, torch.int16, torch.int32, torch.int64]
INTEGER = [
    ("relu", F.relu, ALL_INTS),
    ("relu6", F.relu6, ALL_INTS),
    ("hardtanh", F.hardtanh, SIGNED_INTS),
    ("hardtanh(min_val=-2, max_val=3)", lambda x: F.hardtanh(x, -2.0, 3.0), SIGNED_INTS),
    ("hardtanh(min_val=-2.7, max_val=3.9)", lambda x: F.hardtanh(x, -2.7, 3.9), SIGNED_INTS),
    ("threshold(threshold=0.5, value=-1)", lambda x: F.threshold(x, 0.5, -1.0), SIGNED_INTS),
    ("threshold(threshold=-3.5, value=7.2)", lambda x: F.threshold(x, -3.5, 7.2), SIGNED_INTS),
    ("sigmoid", torch.sigmoid, ALL_INTS),
    ("tanh", torch.tanh, ALL_INTS),
]

FLOAT_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}
INT_NAMES = {torch.int8: "int8", torch.uint8: "uint8", torch.int16: "int16", torch.int32: "int32",
             torch.int64: "int64"}
NUMPY_OF = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
            torch.bfloat16: np.uint16, torch.int8: np.int8, torch.uint8: np.uint8, torch.int16: np.int16,
            torch.int32: np.int32, torch.int64: np.int64}
BITS_OF = {torch.float32: (torch.int32, 32), torch.float64: (torch.int64, 64), torch.float16: (torch.int16, 16),
           torch.bfloat16: (torch.int16, 16)}


def name_of(spec):
    return spec.split("(")[0].strip()


# ---------------------------------------------------------------------------------------------------------
# Inputs.

def float_inputs(dtype, count, seed):
    """Specials, then random values of every magnitude, as `dtype`."""
    gen = torch.Generator().manual_seed(seed)
    finfo = torch.finfo(dtype)
    specials = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-30, -1e-30, 3.0, -3.0, 100.0, -100.0, 1e30, -1e30,
                0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 2.5, -2.5, 6.0, -6.0, 20.0, -20.0, 5.0, -5.0, 88.0, -88.0, 89.0,
                -89.0, 1e-8, -1e-8, 4.2857141, -4.2857141, 2.9999, -2.9999, -3.0001, 0.7, -0.3,
                finfo.max, -finfo.max, finfo.tiny, -finfo.tiny, 1.1754944e-38, -1.1754944e-38]
    x = torch.tensor(specials, dtype=torch.float64).to(dtype)
    # Smallest subnormals of the type itself.
    ibits, nbits = BITS_OF[dtype]
    sub = torch.tensor([1, 2, -(1 << (nbits - 1)) + 1], dtype=torch.int64).to(ibits).view(dtype)
    moderate = (torch.rand(count // 2, generator=gen, dtype=torch.float64) * 24 - 12).to(dtype)
    max_exp = math.frexp(finfo.max)[1]  # 128 for float32 and bfloat16, 1024 for float64, 16 for float16.
    exps = torch.rand(count // 2, generator=gen, dtype=torch.float64) * (2 * max_exp) - max_exp - 10
    signs = torch.where(torch.rand(count // 2, generator=gen) < 0.5, -1.0, 1.0).double()
    wide = (signs * torch.pow(2.0, exps)).to(dtype)
    return torch.cat([x, sub, moderate, wide])


def integer_inputs(dtype, count, seed):
    gen = torch.Generator().manual_seed(seed)
    info = torch.iinfo(dtype)
    specials = [info.min, info.min + 1, info.max - 1, info.max] + list(range(max(info.min, -10), 11))
    lo, hi = max(info.min, -(2 ** 62)), min(info.max, 2 ** 62)
    rand = torch.randint(lo, hi, (count,), generator=gen, dtype=torch.int64)
    small = torch.randint(max(info.min, -300), min(info.max, 300), (count,), generator=gen, dtype=torch.int64)
    return torch.cat([torch.tensor(specials, dtype=torch.int64), rand, small]).to(dtype)


def to_bytes(t):
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().tobytes()
    return t.contiguous().numpy().tobytes()


def from_bytes(data, dtype, shape):
    if dtype == torch.bfloat16:
        arr = np.frombuffer(data, dtype=np.int16).copy()
        return torch.from_numpy(arr).view(torch.bfloat16).reshape(shape)
    arr = np.frombuffer(data, dtype=NUMPY_OF[dtype]).copy()
    return torch.from_numpy(arr).reshape(shape)


# ---------------------------------------------------------------------------------------------------------
# Comparison.

def ordered(t):
    """Signed position in the order of representable values (+0.0 and -0.0 -> 0)."""
    ibits, nbits = BITS_OF[t.dtype]
    bits = t.contiguous().view(ibits).to(torch.int64)
    if nbits < 64:
        bits = bits & ((1 << nbits) - 1)
    sign_bit = 1 << (nbits - 1)
    if nbits == 64:
        negative = bits < 0
        magnitude = bits & ((1 << 63) - 1)
    else:
        negative = (bits & sign_bit) != 0
        magnitude = bits & (sign_bit - 1)
    return torch.where(negative, -magnitude, magnitude)


def compare(got, want, exact, ulps, abs_tol, input_values):
    """Returns a list of failure descriptions (empty when `got` matches `want`)."""
    failures = []
    compare.max_ulps = 0
    if not got.is_floating_point():
        bad = got != want
        for i in torch.nonzero(bad.flatten()).flatten()[:8].tolist():
            failures.append(f"x={input_values.flatten()[i].item()} want {want.flatten()[i].item()} "
                            f"got {got.flatten()[i].item()}")
        return failures, int(bad.sum())
    g = got.flatten()
    w = want.flatten()
    gd, wd = g.double(), w.double()
    got_nan, want_nan = torch.isnan(gd), torch.isnan(wd)
    bad = got_nan != want_nan
    inf = torch.isinf(gd) | torch.isinf(wd)
    bad |= inf & ~(got_nan | want_nan) & (gd != wd)
    both = ~(got_nan | want_nan) & ~inf
    if exact:
        ibits, _ = BITS_OF[g.dtype]
        bad |= both & (g.view(ibits) != w.view(ibits))
    else:
        distance = (ordered(g) - ordered(w)).abs()
        close = (gd - wd).abs() <= abs_tol
        bad |= both & (distance > ulps) & ~close
    if not exact:
        counted = both & ~close  # Elements judged by their ulp distance.
        if counted.any():
            compare.max_ulps = int((ordered(g[counted]) - ordered(w[counted])).abs().max())
    x = input_values.flatten()
    for i in torch.nonzero(bad).flatten()[:8].tolist():
        xi = x[i].item() if i < x.numel() else float("nan")
        failures.append(f"[{i}] x={xi!r} want {wd[i].item()!r} got {gd[i].item()!r}")
    return failures, int(bad.sum())


def tolerance(spec, torch_dtype, out_dtype):
    """(exact, ulps, abs) for comparing an output of `out_dtype` (see the table in the docstring)."""
    name = name_of(spec)
    if name in PIECEWISE_NAMES:
        return True, 0, 0.0
    ulps, (kind, factor) = SMOOTH_TOL[name]
    compute = torch.float64 if out_dtype == torch.float64 else torch.float32
    eps = torch.finfo(compute).eps
    tiny = 1e-305 if compute == torch.float64 else 1e-36
    abs_tol = factor * (eps if kind == "eps" else tiny)
    if out_dtype in (torch.float16, torch.bfloat16):
        # One ulp of the half type, plus the float32 allowance near zero (with the rounding it may flip).
        half_ulps = BF16_ULPS.get(name, 1) if out_dtype == torch.bfloat16 and name not in BF16_VIA_FLOAT32 else 1
        return False, half_ulps, abs_tol
    return False, ulps, abs_tol


# ---------------------------------------------------------------------------------------------------------
# Cases.

class Case:
    def __init__(self, spec, dtype_name, x, want, out_dtype, note=""):
        self.spec = spec
        self.dtype_name = dtype_name
        self.x = x
        self.want = want
        self.out_dtype = out_dtype
        self.note = note


def half_rounded(spec, fn):
    """For float16: `fn` with the parameters PyTorch converts to the tensor's dtype rounded to float16."""
    r = lambda v: float(torch.tensor(v, dtype=torch.float32).to(torch.float16))
    name = name_of(spec)
    if name == "hardtanh":
        params = dict(p.split("=") for p in spec[spec.index("(") + 1:-1].replace(" ", "").split(",")) \
            if "(" in spec else {}
        lo, hi = float(params.get("min_val", -1.0)), float(params.get("max_val", 1.0))
        return lambda x: F.hardtanh(x, r(lo), r(hi))
    if name == "threshold":
        params = dict(p.split("=") for p in spec[spec.index("(") + 1:-1].replace(" ", "").split(","))
        return lambda x: F.threshold(x, r(float(params["threshold"])), r(float(params["value"])))
    return fn


def torch_reference(fn, x, name, spec=""):
    """PyTorch's result for x; None where PyTorch has no kernel for the dtype."""
    if x.dtype == torch.float16:
        # No float16 kernels: float32 on the same inputs, with the parameters that PyTorch converts to the
        # tensor's dtype (hardtanh bounds, threshold, prelu weights) rounded to float16 as it would.
        return half_rounded(spec, fn)(x.float()).to(x.dtype)
    if x.dtype == torch.bfloat16 and name in BF16_VIA_FLOAT32:
        return fn(x.float()).to(x.dtype)
    try:
        return fn(x)
    except RuntimeError:
        return None


def build_cases(seed):
    cases, skipped = [], []
    n = 4000
    for dtype_name, dtype in FLOAT_DTYPES.items():
        for k, (spec, fn) in enumerate(ELEMENTWISE):
            name = name_of(spec)
            if dtype == torch.bfloat16 and name in NO_BF16:
                skipped.append(f"{spec} {dtype_name}: PyTorch 1.13 has no kernel")
                continue
            x = float_inputs(dtype, n, seed + k)
            want = torch_reference(fn, x, name, spec)
            if want is None:
                skipped.append(f"{spec} {dtype_name}: PyTorch 1.13 has no kernel")
                continue
            cases.append(Case(spec, dtype_name, x, want, want.dtype))
        # PReLU with 1 and with C weights, on [2, 3, 5] and a larger [4, 3, 171].
        for shape in ([2, 3, 5], [4, 3, 171]):
            count = math.prod(shape)
            pool = float_inputs(dtype, count, seed + 100)
            x = pool[torch.randperm(pool.numel(), generator=torch.Generator().manual_seed(1))[:count]]
            x = torch.cat([pool[:count // 3], x])[:count].reshape(shape)  # Specials first, then a mix.
            for weights in ([0.25], [0.1, -0.2, 1.3]):
                # The weight tensor has the input's dtype (so bfloat16 weights are rounded to bfloat16).
                w = torch.tensor(weights, dtype=dtype)
                spec = "prelu" if weights == [0.25] else "prelu(weight=[" + ", ".join(map(repr, weights)) + "])"
                if dtype == torch.float16:
                    want = F.prelu(x.float(), w.float()).to(dtype)
                else:
                    want = F.prelu(x, w)
                cases.append(Case(spec, dtype_name, x, want, dtype))
            for axis in (0, 1, -1, 2, -3):
                spec = "crelu" if axis == -1 else f"crelu(axis={axis})"
                fn = crelu(axis)
                want = fn(x.float()).to(dtype) if dtype == torch.float16 else fn(x)
                cases.append(Case(spec, dtype_name, x, want, dtype))
    for k, (spec, fn, dtypes) in enumerate(INTEGER):
        for dtype in dtypes:
            x = integer_inputs(dtype, 500, seed + 200 + k)
            want = fn(x)
            cases.append(Case(spec, INT_NAMES[dtype], x, want, want.dtype))
    return cases, skipped


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tool", required=True, help="path to kernels_apply_tool")
    parser.add_argument("--backends", default="auto,simd,onednn")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    start = time.time()

    cases, skipped = build_cases(args.seed)
    backends = args.backends.split(",")
    passed = failed = unimplemented = 0
    failure_lines = []
    with tempfile.TemporaryDirectory(prefix="rectifier_parity_") as tmp:
        lines, jobs = [], []
        for i, case in enumerate(cases):
            in_path = os.path.join(tmp, f"{i}.in")
            with open(in_path, "wb") as f:
                f.write(to_bytes(case.x))
            shape = ",".join(str(d) for d in case.x.shape)
            for backend in backends:
                out_path = os.path.join(tmp, f"{i}.{backend}.out")
                lines.append("\t".join([backend, case.spec, case.dtype_name, shape, in_path, out_path]))
                jobs.append((case, backend, out_path))
        batch = os.path.join(tmp, "batch.tsv")
        with open(batch, "w") as f:
            f.write("\n".join(lines) + "\n")
        run = subprocess.run([args.tool, "--batch", batch], capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout)
            print(run.stderr, file=sys.stderr)
            print(f"pytorch_parity: apply_tool exited with {run.returncode}")
            return 1
        results = run.stdout.splitlines()
        if len(results) != len(jobs):
            print(run.stderr, file=sys.stderr)
            print(f"pytorch_parity: apply_tool printed {len(results)} results for {len(jobs)} cases")
            return 1
        for (case, backend, out_path), result in zip(jobs, results):
            label = f"{case.spec} {case.dtype_name} {list(case.x.shape)} [{backend}]"
            if result.startswith("ERROR"):
                if backend == "onednn" and "UNIMPLEMENTED" in result:
                    unimplemented += 1
                    continue
                failed += 1
                failure_lines.append(f"FAIL {label}: {result}")
                continue
            _, out_dtype_name, out_shape = result.split(" ")
            with open(out_path, "rb") as f:
                data = f.read()
            got_dtype = FLOAT_DTYPES.get(out_dtype_name) or {v: k for k, v in INT_NAMES.items()}[out_dtype_name]
            if got_dtype != case.want.dtype or list(case.want.shape) != (
                    [] if out_shape == "scalar" else [int(d) for d in out_shape.split(",")]):
                failed += 1
                failure_lines.append(f"FAIL {label}: output {out_dtype_name} [{out_shape}], PyTorch gives "
                                     f"{case.want.dtype} {list(case.want.shape)}")
                continue
            got = from_bytes(data, got_dtype, case.want.shape)
            exact, ulps, abs_tol = tolerance(case.spec, case.x.dtype, got_dtype)
            # For crelu the inputs do not line up with the outputs element for element; show indices.
            shown = case.x if name_of(case.spec) != "crelu" else torch.full(case.want.shape, float("nan"))
            failures, count = compare(got, case.want, exact, ulps, abs_tol, shown)
            if failures:
                failed += 1
                tol = "bit-exact" if exact else f"{ulps} ulp or |d| <= {abs_tol:g}"
                failure_lines.append(f"FAIL {label}: {count} of {case.want.numel()} elements differ ({tol}):")
                failure_lines.extend("    " + line for line in failures)
            else:
                passed += 1
                if args.verbose:
                    print(f"ok   {label}" + ("" if exact else f" (max {compare.max_ulps} ulp)"))

    for line in failure_lines:
        print(line)
    for line in skipped:
        if args.verbose:
            print(f"skip {line}")
    elapsed = time.time() - start
    print(f"pytorch_parity: {len(cases)} cases x {len(backends)} backends in {elapsed:.1f}s "
          f"({unimplemented} onednn UNIMPLEMENTED, {len(skipped)} without a PyTorch kernel)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
