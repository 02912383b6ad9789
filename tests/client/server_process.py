"""A rectifier-server binary on a free loopback port for the client test scripts, killed by PID at the end.

The binaries come from the environment CTest sets: RECTIFIER_SERVER, RECTIFIER_CLI.
"""
import os
import socket
import subprocess
import tempfile
import time

SERVER = os.environ["RECTIFIER_SERVER"]
CLI = os.environ["RECTIFIER_CLI"]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(address, *extra):
    """Exit code of `rectifier health`."""
    return subprocess.run([CLI, "health", "--address", address, "--max-attempts", "1", "--deadline", "2s", *extra],
                          capture_output=True, text=True).returncode


class Server:
    """`with Server() as server:` starts rectifier-server, waits until it is SERVING, and kills it on exit."""

    def __init__(self, *args):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.args = args
        self.log = tempfile.NamedTemporaryFile(prefix="rectifier_server_", suffix=".log", delete=False)
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [SERVER, "--address", self.address, "--metrics-address=", "--threads", "2", *self.args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while health(self.address) != 0:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"rectifier-server did not become SERVING:\n{self.logs()}")
            time.sleep(0.1)
        return self

    def logs(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *exc):
        self.stop()
        os.unlink(self.log.name)
