#!/usr/bin/python3
"""The client examples against the rectifier-server binary: Python (stubs from Debian's protoc and
grpc_python_plugin), Node.js (`npm ci --prefer-offline` from the pinned lockfile) and C++ (the client
library). Each one's printed numbers are checked against NumPy.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server  # noqa: E402

SOURCE = os.environ["RECTIFIER_SOURCE_DIR"]
EXAMPLES = os.path.join(SOURCE, "client", "examples")
LEAKY = lambda x: np.where(x > 0, x, 0.2 * x)  # noqa: E731


def numbers(line):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", line.split(" ", 1)[1] if " " in line else "")]


class ExamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def run_example(self, args, cwd=None, env=None):
        result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
        self.assertEqual(result.returncode, 0, f"{args} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout.splitlines()

    def test_python(self):
        with tempfile.TemporaryDirectory() as stubs:
            subprocess.run([os.path.join(EXAMPLES, "python", "generate_stubs.sh"), stubs], check=True,
                           capture_output=True)
            env = dict(os.environ, PYTHONPATH=stubs)
            lines = self.run_example(["/usr/bin/python3", os.path.join(EXAMPLES, "python", "leaky_relu.py"),
                                      self.server.address], env=env)
        x = np.array([[-2.0, -0.5, 0.0], [0.5, 2.0, 4.0]], dtype=np.float32)
        self.assertTrue(lines[0].startswith("leaky_relu"), lines)
        np.testing.assert_allclose(numbers(lines[0].replace("leaky_relu", "x", 1)), LEAKY(x).reshape(-1), rtol=1e-6)
        from math import erf, sqrt
        gelu_lines = sorted(line for line in lines if line.startswith("gelu"))
        self.assertEqual(len(gelu_lines), 3, lines)
        for i, line in enumerate(gelu_lines):
            self.assertIn(f"r{i}", line)
            x = np.linspace(-1.0, 1.0, 3) * (i + 1)
            want = [v * 0.5 * (1 + erf(v / sqrt(2))) for v in x]
            np.testing.assert_allclose(numbers(line.replace(f"gelu r{i}", "x", 1)), want, atol=1e-6)

    def test_node(self):
        node_dir = os.path.join(EXAMPLES, "node")
        npm = shutil.which("npm")
        self.assertIsNotNone(npm, "npm is not installed (scripts/install-deps.sh installs it)")
        subprocess.run([npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"], cwd=node_dir, check=True,
                       capture_output=True)
        lines = self.run_example(["node", "leaky_relu.js", self.server.address], cwd=node_dir)
        self.assertEqual(lines[0], "leaky_relu [-0.4000000059604645,-0.10000000149011612,0,0.5,2]")
        self.assertEqual(lines[1], "stream a [0,3,6]")
        self.assertEqual(lines[2], "stream b [-2,1,2]")

    def test_cpp(self):
        lines = self.run_example([os.environ["RECTIFIER_EXAMPLE_CPP"], self.server.address])
        self.assertEqual(lines[0], "leaky_relu: -0.4 -0.1 0 0.5 2")
        elu = np.where(np.array([-1.0, 1.0]) > 0, [-1.0, 1.0], 0.5 * np.expm1([-1.0, 1.0]))
        np.testing.assert_allclose(numbers(lines[1].replace("elu(alpha=0.5):", "x", 1)), elu, rtol=1e-5)
        self.assertEqual(lines[2:], ["relu6 #0: 0 0", "relu6 #1: 0 3", "relu6 #2: 0 6"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
