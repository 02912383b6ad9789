#!/usr/bin/python3
"""The installed package: `cmake --install` of the build into a temporary prefix, then the tiny project in
tests/client/consumer/ configured with -DCMAKE_PREFIX_PATH=<prefix> (find_package(rectifier CONFIG)),
built, and run against the rectifier-server binary; the installed `rectifier` CLI too.
"""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server  # noqa: E402

SOURCE = os.environ["RECTIFIER_SOURCE_DIR"]
BUILD = os.environ["RECTIFIER_BINARY_DIR"]


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class ConsumerTest(unittest.TestCase):
    def test_out_of_tree_project_links_the_installed_client(self):
        with tempfile.TemporaryDirectory(prefix="rectifier_consumer_") as tmp:
            prefix = os.path.join(tmp, "prefix")
            run(["cmake", "--install", BUILD, "--prefix", prefix])
            self.assertTrue(os.path.exists(os.path.join(prefix, "lib", "cmake", "rectifier", "rectifierConfig.cmake")))
            self.assertTrue(os.path.exists(os.path.join(prefix, "include", "rectifier", "client", "client.h")))
            build = os.path.join(tmp, "build")
            configure = ["cmake", "-G", "Ninja", "-S", os.path.join(SOURCE, "tests", "client", "consumer"), "-B", build,
                         f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release"]
            # The installed libraries of a sanitizer build need the same compiler and sanitizer runtime.
            if os.environ.get("RECTIFIER_CXX_COMPILER"):
                configure.append(f"-DCMAKE_CXX_COMPILER={os.environ['RECTIFIER_CXX_COMPILER']}")
            if os.environ.get("RECTIFIER_SANITIZE"):
                flags = f"-fsanitize={os.environ['RECTIFIER_SANITIZE']}"
                configure += [f"-DCMAKE_CXX_FLAGS={flags}", f"-DCMAKE_EXE_LINKER_FLAGS={flags}"]
            run(configure)
            run(["cmake", "--build", build, "-j2"])
            with Server() as server:
                out = run([os.path.join(build, "consumer"), server.address])
                self.assertIn("SERVING", out)
                self.assertIn("relu6: 0 3 6", out)
                models = run([os.path.join(prefix, "bin", "rectifier"), "models", "--address", server.address])
                self.assertIn("relu6", models)


if __name__ == "__main__":
    unittest.main(verbosity=2)
