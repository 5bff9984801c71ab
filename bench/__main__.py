"""Run the benchmarks and write their reports.

python -m bench                 # all
python -m bench identity_login  # some
"""

import argparse
import importlib
import os
import platform
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# Each module: run(args) -> markdown. Add yours here.
BENCHMARKS = (
    "identity_login",
    "identity_register",
    "documents_upload",
    "notification_delivery",
    "scheduling_throughput",
    "scheduling_flash_crowd",
    "messages_verify",
    "two_stacks",
    "integration_replay",
    "scheduling_forecast",
    "release_crowd",
    "booking_cost",
)


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        started = time.time()
        print(f"== {name}", flush=True)
        try:
            body = module.run(args)
        except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others' reports
            failed.append(name)
            print(f"{name} failed: {exc!r}", flush=True)
            continue
        header = f"# {name}\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, {machine()}\n\n"
        (RESULTS / f"{name}.md").write_text(header + body)
        print(header + body, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
