#!/usr/bin/python3
"""`rectifier` end to end against the rectifier-server binary: .npy files written with NumPy, applied by the
CLI, read back with NumPy and compared with torch.nn.functional (PyTorch 1.13, Debian's python3-torch);
raw files with --shape/--dtype, float16 and bfloat16, chunked streaming with progress, models, errors,
`list`/`models` output, `plot` SVGs, --help everywhere, and `health` exit codes 0 and 2 (1, NOT_SERVING, is
tested in client_integration_test, which can hold a server in its shutdown drain).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import CLI, Server, free_port, health  # noqa: E402

torch.set_num_threads(1)

# spec -> (torch function of a float tensor, exact?) Exact: piecewise linear, bit-exact with PyTorch.
CASES = {
    "relu": (F.relu, True),
    "leaky_relu(negative_slope=0.2)": (lambda x: F.leaky_relu(x, 0.2), True),
    "prelu(weight=[0.1, 0.2, 0.3])": (lambda x: F.prelu(x, torch.tensor([0.1, 0.2, 0.3], dtype=x.dtype)), True),
    "elu(alpha=0.5)": (lambda x: F.elu(x, 0.5), False),
    "selu": (F.selu, False),
    "celu(alpha=2)": (lambda x: F.celu(x, 2.0), False),
    "crelu(axis=1)": (lambda x: torch.cat([F.relu(x), F.relu(-x)], dim=1), True),
    "relu6": (F.relu6, True),
    "hardtanh(min_val=-2, max_val=3)": (lambda x: F.hardtanh(x, -2.0, 3.0), True),
    "gelu": (F.gelu, False),
    "gelu(approximate=tanh)": (lambda x: F.gelu(x, approximate="tanh"), False),
    "silu": (F.silu, False),
    "mish": (F.mish, False),
    "sigmoid": (torch.sigmoid, False),
    "tanh": (torch.tanh, False),
    "softplus(beta=2, threshold=10)": (lambda x: F.softplus(x, 2.0, 10.0), False),
    "hardswish": (F.hardswish, True),
    "hardsigmoid": (F.hardsigmoid, True),
    "logsigmoid": (F.logsigmoid, False),
    "threshold(threshold=0.5, value=-1)": (lambda x: F.threshold(x, 0.5, -1.0), True),
}
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14),
             np.float16: dict(rtol=1e-3, atol=1e-6)}


def run(*args, check=True):
    result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"rectifier {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def torch_reference(spec, x):
    fn, _ = CASES[spec]
    if x.dtype == np.float16:  # PyTorch 1.13 has no float16 activations on the CPU: float32, then rounded.
        if spec.startswith("prelu"):  # Weights of a float16 PReLU are float16 (exactly as the server rounds them).
            fn = lambda v: F.prelu(v, torch.tensor([0.1, 0.2, 0.3], dtype=torch.float16).float())  # noqa: E731
        return fn(torch.from_numpy(x.astype(np.float32))).numpy().astype(np.float16)
    return fn(torch.from_numpy(x)).numpy()


def inputs(dtype, shape=(2, 3, 40), seed=0):
    x = (np.random.default_rng(seed).standard_normal(shape) * 4).astype(dtype)
    flat = x.reshape(-1)
    flat[:7] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30]  # Specials, as PyTorch treats them.
    return x


def assert_matches(test, got, want, exact, label):
    test.assertEqual(got.dtype, want.dtype, label)
    test.assertEqual(got.shape, want.shape, label)
    if exact:
        same = (got == want) & (np.signbit(got) == np.signbit(want)) | (np.isnan(got) & np.isnan(want))
        test.assertTrue(same.all(), f"{label}: first difference at {np.argwhere(~same)[:3].tolist()}: "
                                    f"got {got[~same][:3]}, want {want[~same][:3]}")
    else:
        np.testing.assert_allclose(got, want, equal_nan=True, err_msg=label, **TOLERANCE[want.dtype.type])


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().__enter__()
        cls.address = cls.server.address
        cls.dir = tempfile.TemporaryDirectory(prefix="rectifier_cli_e2e_")

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def apply(self, *args):
        return run("apply", "--address", self.address, *args)

    def test_every_activation_matches_pytorch_on_npy_files(self):
        for dtype in (np.float32, np.float64, np.float16):
            x = inputs(dtype)
            np.save(self.path("in.npy"), x)
            for spec, (_, exact) in CASES.items():
                with self.subTest(spec=spec, dtype=dtype.__name__):
                    self.apply("--activation", spec, "--input", self.path("in.npy"), "--output", self.path("out.npy"))
                    assert_matches(self, np.load(self.path("out.npy")), torch_reference(spec, x), exact,
                                   f"{spec} {dtype.__name__}")

    def test_models_by_name(self):
        x = inputs(np.float32)
        np.save(self.path("model_in.npy"), x)
        self.apply("--model", "relu6", "-i", self.path("model_in.npy"), "-o", self.path("model_out.npy"))
        assert_matches(self, np.load(self.path("model_out.npy")), F.relu6(torch.from_numpy(x)).numpy(), True, "relu6")

    def test_raw_files_with_shape_and_dtype(self):
        x = inputs(np.float64, shape=(4, 5))
        x.astype("<f8").tofile(self.path("in.raw"))
        self.apply("--activation", "silu", "--input", self.path("in.raw"), "--shape", "4,5", "--dtype", "float64",
                   "--output", self.path("out.raw"))
        got = np.fromfile(self.path("out.raw"), dtype="<f8").reshape(4, 5)
        assert_matches(self, got, F.silu(torch.from_numpy(x)).numpy(), False, "raw silu")
        # A raw input written as .npy.
        self.apply("--activation", "relu", "--input", self.path("in.raw"), "--shape", "20", "--dtype", "float64",
                   "--output", self.path("raw_to.npy"))
        assert_matches(self, np.load(self.path("raw_to.npy")), F.relu(torch.from_numpy(x.reshape(20))).numpy(), True,
                       "raw relu")
        # bfloat16 (no NumPy type): raw in, raw out, against PyTorch's bfloat16 relu bit for bit.
        xb = torch.from_numpy(inputs(np.float32, shape=(64,))).to(torch.bfloat16)
        xb.view(torch.int16).numpy().tofile(self.path("in.bf16"))
        self.apply("-a", "leaky_relu(negative_slope=0.25)", "-i", self.path("in.bf16"), "--shape", "64", "--dtype",
                   "bfloat16", "-o", self.path("out.bf16"))
        got = torch.from_numpy(np.fromfile(self.path("out.bf16"), dtype="<i2")).view(torch.bfloat16)
        want = F.leaky_relu(xb, 0.25)
        self.assertTrue(torch.equal(got.view(torch.int16), want.view(torch.int16)), "bfloat16 leaky_relu")

    def test_large_files_stream_in_chunks_with_progress(self):
        x = inputs(np.float32, shape=(300, 4096), seed=3)  # 4.7 MiB: five 1 MiB chunks.
        np.save(self.path("big.npy"), x)
        result = self.apply("-a", "gelu(approximate=tanh)", "-i", self.path("big.npy"), "-o", self.path("big_out.npy"),
                            "--chunk-bytes", "1MiB", "--progress", "always")
        self.assertIn("100.0%", result.stderr)
        assert_matches(self, np.load(self.path("big_out.npy")), torch_reference("gelu(approximate=tanh)", x), False,
                       "chunked gelu")
        # crelu along axis 0 cannot be cut along axis 0: sent whole, still right.
        self.apply("-a", "crelu(axis=0)", "-i", self.path("big.npy"), "-o", self.path("big_crelu.npy"),
                   "--chunk-bytes", "1MiB")
        xt = torch.from_numpy(x)
        assert_matches(self, np.load(self.path("big_crelu.npy")), torch.cat([F.relu(xt), F.relu(-xt)], 0).numpy(),
                       True, "crelu axis 0")
        # A model whose spec the CLI looks up to decide (relu: cut).
        self.apply("-m", "relu", "-i", self.path("big.npy"), "-o", self.path("big_relu.npy"), "--chunk-bytes", "1MiB")
        assert_matches(self, np.load(self.path("big_relu.npy")), F.relu(xt).numpy(), True, "chunked relu model")

    def test_errors_name_what_is_wrong(self):
        np.save(self.path("err.npy"), np.zeros(3, dtype=np.float32))
        result = self.apply_failing("-a", "celu(alpha=0)", "-i", self.path("err.npy"), "-o", self.path("x.npy"))
        self.assertIn("INVALID_ARGUMENT", result.stderr)
        self.assertIn("alpha", result.stderr)
        result = self.apply_failing("-m", "no_such_model", "-i", self.path("err.npy"), "-o", self.path("x.npy"))
        self.assertIn("NOT_FOUND", result.stderr)
        result = self.apply_failing("-a", "relu", "-i", self.path("missing.npy"), "-o", self.path("x.npy"))
        self.assertIn("missing.npy", result.stderr)
        np.save(self.path("ints.npy"), np.zeros(3, dtype=np.int32))
        result = self.apply_failing("-a", "gelu", "-i", self.path("ints.npy"), "-o", self.path("x.npy"))
        self.assertIn("INVALID_ARGUMENT", result.stderr)
        np.save(self.path("complex.npy"), np.zeros(3, dtype=np.complex64))
        result = self.apply_failing("-a", "relu", "-i", self.path("complex.npy"), "-o", self.path("x.npy"))
        self.assertIn("not supported", result.stderr)
        result = self.apply_failing("-a", "relu", "-i", self.path("err.npy"), "--shape", "4", "-o", self.path("x.raw"))
        self.assertIn("needs 16 bytes", result.stderr)
        self.assertFalse(os.path.exists(self.path("x.npy")))

    def apply_failing(self, *args):
        result = run("apply", "--address", self.address, *args, check=False)
        self.assertEqual(result.returncode, 1, result.stderr)
        return result

    def test_list_and_models(self):
        listed = run("list", "--address", self.address).stdout
        for spec in CASES:
            self.assertRegex(listed, rf"(?m)^{spec.split('(')[0]}\s")
        self.assertIn("negative_slope=0.01", listed)
        catalogue = json.loads(run("list", "--json", "--address", self.address).stdout)
        self.assertEqual(len(catalogue["activations"]), 19)
        models = run("models", "--address", self.address).stdout
        self.assertRegex(models, r"(?m)^threshold\s+threshold\(threshold=0, value=0\)$")
        self.assertRegex(models, r"(?m)^leaky_relu\s+leaky_relu$")

    def test_plot_draws_every_curve_with_a_legend(self):
        svg = self.path("curves.svg")
        run("plot", "--address", self.address, "relu", "leaky_relu(negative_slope=0.2)", "crelu", "--range=-4:4",
            "--output", svg, "--title", "test")
        root = ET.parse(svg).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        labels = [t.text for t in root.iter(f"{ns}text")]
        for label in ("relu", "leaky_relu(negative_slope=0.2)", "crelu [relu(x)]", "crelu [relu(-x)]", "test"):
            self.assertIn(label, labels)
        self.assertEqual(len(list(root.iter(f"{ns}polyline"))), 4)
        result = run("plot", "--address", self.address, "relu", "--range=4:-4", "-o", svg, check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--range", result.stderr)

    def test_help_everywhere(self):
        for command in ([], ["apply"], ["plot"], ["list"], ["models"], ["health"]):
            result = run(*command, "--help")
            self.assertIn("--help", result.stdout)
            if command:
                self.assertIn("--address", result.stdout)

    def test_health_exit_codes(self):
        self.assertEqual(health(self.address), 0)
        self.assertEqual(health(self.address, "--service", "rectifier.v1.ActivationService"), 0)
        self.assertEqual(health(f"127.0.0.1:{free_port()}"), 2, "nothing listens there")
        self.assertEqual(health(self.address, "--service", "no.such.Service"), 1, "the server answers NOT_FOUND")


if __name__ == "__main__":
    unittest.main(verbosity=2)
