"""Run the benchmark suites: ``python -m bench [suite ...] [--scale ci|full]``.

``--scale ci`` is the small run CI does so the harness keeps working; ``--scale full`` is the run
whose figures docs/performance.md records. Each suite prints its own table of ratios and targets.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time

# Each suite: a module ``bench.<name>`` with ``run(scale: str) -> bool`` (False: a target missed).
SUITES = (
    "engine",
    "sweep",
    "lists",
    "export",
    "partitions",
    "import",
    "insight",
    "scorecard",
    "process",
)
# A suite whose name is no module name (``import`` is a keyword): its module.
MODULES = {"import": "core_feed", "process": "insight_process"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("suites", nargs="*", metavar="suite", help=f"any of {', '.join(SUITES)}")
    parser.add_argument("--scale", choices=("ci", "full"), default="full")
    parser.add_argument(
        "--strict", action="store_true", help="exit non-zero when a suite misses a target"
    )
    args = parser.parse_args(argv)
    import bench

    bench.setup()
    all_met = True
    for name in args.suites or SUITES:
        try:
            module = f"bench.{MODULES.get(name, name)}"
            suite = importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name != module:
                raise
            continue
        started = time.perf_counter()
        print(f"\n== {name} (scale {args.scale}) ==", flush=True)
        met = suite.run(args.scale)
        all_met = all_met and met
        print(
            f"-- {name}: {'targets met' if met else 'TARGET MISSED'} "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return 0 if all_met or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
