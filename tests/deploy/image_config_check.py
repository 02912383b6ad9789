#!/usr/bin/python3
"""Checks the configuration of the built image (`buildah inspect --type image` JSON, docker format):
a numeric non-root USER, an exec-form ENTRYPOINT running rectifier-server, the server's default gRPC and
metrics ports EXPOSEd (read from server/server_options.h), a HEALTHCHECK running `rectifier health`, and
OMP_WAIT_POLICY=passive.

Usage: image_config_check.py INSPECT_JSON
"""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def default_port(constant):
    header = (ROOT / "server/server_options.h").read_text()
    match = re.search(rf'{constant} = "[^"]*:(\d+)"', header)
    if not match:
        sys.exit(f"FAIL: {constant} not found in server/server_options.h")
    return int(match.group(1))


def main():
    image = json.load(open(sys.argv[1]))
    config = image["Docker"]["config"]
    errors = []

    user = config.get("User", "")
    uid = user.split(":")[0]
    if not uid.isdigit() or int(uid) == 0:
        errors.append(f"USER must be a numeric non-root uid (for runAsNonRoot); is {user!r}")

    entrypoint = config.get("Entrypoint") or []
    if not entrypoint or entrypoint[0] != "rectifier-server":
        errors.append(f"ENTRYPOINT must be the exec form [\"rectifier-server\"]; is {entrypoint}")

    exposed = {port.removesuffix("/tcp") for port in config.get("ExposedPorts") or {}}
    for constant in ("kDefaultAddress", "kDefaultMetricsAddress"):
        port = str(default_port(constant))
        if port not in exposed:
            errors.append(f"EXPOSE lacks {port} (the server's {constant}); exposes {sorted(exposed)}")

    test = (config.get("Healthcheck") or {}).get("Test") or []
    if test[:3] != ["CMD", "rectifier", "health"]:
        errors.append(f"HEALTHCHECK must be CMD [\"rectifier\", \"health\", ...]; is {test} "
                      "(lost unless built with --format docker)")
    elif f"127.0.0.1:{default_port('kDefaultAddress')}" not in test:
        errors.append(f"HEALTHCHECK must check the default gRPC port; is {test}")

    if "OMP_WAIT_POLICY=passive" not in (config.get("Env") or []):
        errors.append("ENV OMP_WAIT_POLICY=passive is missing")

    if errors:
        sys.exit("FAIL: image configuration:\n  " + "\n  ".join(errors))
    print(f"ok: USER {user}, ENTRYPOINT {entrypoint}, EXPOSE {sorted(exposed)}, HEALTHCHECK {test[1:]}")


if __name__ == "__main__":
    main()
