"""How long validating, filing and rendering take: ``python -m seqd_builder.leaderboard.perf``.

Files N simulated results (``testing.make_result``, spread over the EmoDB and RAVDESS tasks) into a
temporary submissions folder and renders the site, timing each step; prints one JSON object. The figures
in docs/leaderboard.md come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from .testing import make_result, task_assets


def measure(n: int = 40, *, out: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["SEQD_ASSETS"] = str(task_assets(tmp / "assets"))
        from . import load_result, render_site, submit

        files = []
        for i in range(n):
            task = ("emodb", "ravdess")[i % 2]
            data = make_result(task, model=f"model-{i:02d}", upstream="fbank", skill=0.5 + 0.4 * i / n,
                               seed=i, bootstrap=200)
            path = tmp / f"run{i}.json"
            path.write_text(json.dumps(data), encoding="utf-8")
            files.append(path)
        start = time.perf_counter()
        for path in files:
            load_result(path)
        validate_s = time.perf_counter() - start
        start = time.perf_counter()
        for path in files:
            submit(path, tmp / "submissions")
        submit_s = time.perf_counter() - start
        site = out or tmp / "site"
        start = time.perf_counter()
        render_site(tmp / "submissions", site)
        render_s = time.perf_counter() - start
        site_bytes = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        return {"submissions": n, "validate_ms_per_file": round(1000 * validate_s / n, 1),
                "submit_ms_per_file": round(1000 * submit_s / n, 1), "render_s": round(render_s, 2),
                "site_files": sum(1 for p in site.rglob("*") if p.is_file()),
                "site_kib": round(site_bytes / 1024), "result_kib": round(files[0].stat().st_size / 1024, 1),
                "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="number of submissions")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.n), indent=1))


if __name__ == "__main__":
    main()
