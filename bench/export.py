"""The deviation log's exports at a million deviations: for the CSV, time to the first byte and to
the first row, rows per second, and the peak memory of the process that streams it; for the XLSX
(written whole before it is sent), the time to the complete file and the same peak memory.

The export runs in a process of its own (``python -m bench.export --child``), so its peak
resident memory (``ru_maxrss``) is the export's and not the data generator's; the same process
reports its memory before the request, so the export's own share shows too.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

SIZES = {"ci": 20_000, "full": 1_000_000}
TARGET_FIRST_BYTE = 1.0  # seconds
TARGET_PEAK_MB = 200.0


def run(scale: str) -> bool:
    from bench import data

    database = data.use_bench_database()
    total = SIZES[scale]
    cast = data.cast("LARGE")  # the list benchmark's large branch, when it has run
    made = data.grow_deviations(cast, total)
    have = data.count("workflow_deviation", "scope", cast.branch.code)
    print(f"{have:,} deviations in the branch ({made:.1f} s to add)", flush=True)
    env = {**os.environ, "BENCH_LISTS_DATABASE": database}
    result = _in_a_child(env, "--child", cast.compliance.username)
    rows_per_second = result["rows"] / result["seconds"]
    print(
        f"\n{'rows':>10} {'first byte':>11} {'first row':>10} {'total':>8} {'rows/s':>9} "
        f"{'RSS before':>11} {'peak RSS':>9}"
    )
    print(
        f"{result['rows']:>10,} {result['first_byte'] * 1000:>9.0f}ms "
        f"{result['first_row'] * 1000:>8.0f}ms {result['seconds']:>7.1f}s "
        f"{rows_per_second:>9,.0f} {result['rss_before_mb']:>9.0f}MB "
        f"{result['peak_rss_mb']:>7.0f}MB"
    )
    met: bool = (
        result["rows"] == have
        and result["first_row"] <= TARGET_FIRST_BYTE
        and result["peak_rss_mb"] < TARGET_PEAK_MB
    )
    print(
        f"targets: first row ≤ {TARGET_FIRST_BYTE:.0f} s, peak RSS < {TARGET_PEAK_MB:.0f} MB, "
        f"every row exported ({'met' if met else 'MISSED'})"
    )
    return _xlsx(env, cast.compliance.username, have) and met


def _in_a_child(env: dict[str, str], *args: str) -> dict[str, float]:
    child = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", "bench.export", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def _xlsx(env: dict[str, str], username: str, have: int) -> bool:
    result = _in_a_child(env, "--xlsx", username)
    print(f"\n{'XLSX rows':>10} {'total':>8} {'rows/s':>9} {'size':>9} {'peak RSS':>9}")
    print(
        f"{result['rows']:>10,.0f} {result['seconds']:>7.1f}s "
        f"{result['rows'] / result['seconds']:>9,.0f} {result['megabytes']:>7.1f}MB "
        f"{result['peak_rss_mb']:>7.0f}MB"
    )
    met = result["rows"] == have and result["peak_rss_mb"] < TARGET_PEAK_MB
    print(
        f"targets: peak RSS < {TARGET_PEAK_MB:.0f} MB, every row exported "
        f"({'met' if met else 'MISSED'})"
    )
    return met


def xlsx_child(username: str) -> None:
    """Download the XLSX as the compliance officer into a temporary file; then count its rows
    (after the peak memory of the export was read)."""
    import tempfile

    import bench

    bench.setup()
    from django.test import Client
    from openpyxl import load_workbook

    from bench import data
    from loans.models import User

    data.use_bench_database()
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=username))
    client.get("/loans/deviations/")  # warm
    started = time.perf_counter()
    response = client.get("/loans/deviations/export.xlsx")
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        for chunk in response.streaming_content:  # type: ignore[attr-defined]
            target.write(chunk)
        target.flush()
        seconds = time.perf_counter() - started
        response.close()
        peak = _peak_mb()
        size = Path(target.name).stat().st_size / 1e6
        sheet = load_workbook(target.name, read_only=True).active
        rows = sum(1 for _row in sheet.iter_rows(min_row=2, values_only=True))
    print(json.dumps({"rows": rows, "seconds": seconds, "megabytes": size, "peak_rss_mb": peak}))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(username: str) -> None:
    """Stream the export as the compliance officer, reading it as a client would."""
    import bench

    bench.setup()
    from django.test import Client

    from bench import data
    from loans.models import User

    data.use_bench_database()
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=username))
    client.get("/loans/deviations/")  # warm: the first request of a process imports the views
    before = _peak_mb()
    started = time.perf_counter()
    response = client.get("/loans/deviations/export.csv")
    chunks = iter(response.streaming_content)  # type: ignore[attr-defined]
    first = next(chunks)
    first_byte = time.perf_counter() - started
    lines = first.count(b"\n") - 1  # the header
    first_row = None
    for chunk in chunks:
        if first_row is None:
            first_row = time.perf_counter() - started
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    response.close()
    print(
        json.dumps(
            {
                "rows": lines,
                "first_byte": first_byte,
                "first_row": first_row if first_row is not None else seconds,
                "seconds": seconds,
                "rss_before_mb": before,
                "peak_rss_mb": _peak_mb(),
            }
        )
    )


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    child(sys.argv[2])
elif __name__ == "__main__" and sys.argv[1:2] == ["--xlsx"]:
    xlsx_child(sys.argv[2])
