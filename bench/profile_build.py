#!/usr/bin/env python3
"""Where a feedpub build spends its time: cProfile of `feedpub -q build` on a corpus.

    .venv/bin/python bench/profile_build.py                       # n=1000, cold then no-change
    .venv/bin/python bench/profile_build.py --serial --top 15     # render in this process too
    .venv/bin/python bench/profile_build.py --n 10000 --modes cold --save /tmp/cold.prof

Uses the site folder layout and config of bench.py (scratch folder
$PEERBENCH_HOME or /tmp/feedpub-bench; the corpus is made there by
tests/corpus.py if missing, as bench.py does). cProfile sees only this
process: a cold build that renders in worker processes shows the wait for
them, not the Markdown work; a no-change build is profiled after
one untimed rebuild (as bench.py's warm-up does); --serial renders in-process (it sets
feedpub.items.PARALLEL_FROM very high, for this profile only) to show it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import builds  # noqa: E402  (the harness's modules beside this file)
import scratch  # noqa: E402


def profile_build(site: Path, top: int, save: Path | None) -> str:
    """One `feedpub -q build` in `site` under cProfile; the top functions as text."""
    from feedpub.cli import main as feedpub_main

    os.chdir(site)
    sys.argv = ["feedpub", "-q", "build"]
    profiler = cProfile.Profile()
    # Forked render workers would inherit the profiler and run several times slower.
    os.register_at_fork(after_in_child=profiler.disable)
    t0 = time.perf_counter()
    profiler.enable()
    try:
        feedpub_main()
    except SystemExit as exc:
        if exc.code:
            print(f"build exited {exc.code}", file=sys.stderr)
    finally:
        profiler.disable()
    wall = time.perf_counter() - t0
    if save:
        profiler.dump_stats(save)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"wall {wall:.2f} s under cProfile\n")
    for key in ("cumulative", "tottime"):
        stats.sort_stats(key).print_stats(top)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--modes", nargs="+", default=["cold", "no-change"],
                    choices=["cold", "no-change"])
    ap.add_argument("--serial", action="store_true", help="render posts in this process")
    ap.add_argument("--pages", action="store_true", help="keep the HTML pages (as bench.py)")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--save", type=Path, help="also dump the stats (of the last mode) here")
    args = ap.parse_args()
    home = Path(os.environ.get("PEERBENCH_HOME") or "/tmp/feedpub-bench").resolve()
    scratch.ensure_corpora(home, [args.n])
    if args.serial:
        import feedpub.items

        feedpub.items.PARALLEL_FROM = 10**9  # type: ignore[misc]
    feedpub = Path(sys.executable).parent / "feedpub"
    fp = builds.prepare_feedpub(feedpub, args.pages)
    site = home / "feedpub" / f"n{args.n}-profile"
    shutil.rmtree(site, ignore_errors=True)
    builds.feedpub_site(fp, site, scratch.corpus(home, args.n) / "posts")
    for mode in args.modes:
        how = f"{' serial,' if args.serial else ''} pages {'on' if fp.pages else 'off'}"
        print(f"===== feedpub build, n={args.n}, {mode},{how}")
        if mode == "no-change":  # the build after a build may still tidy up: not measured
            builds.run_once(builds.Command((str(feedpub), "-q", "build"), cwd=site))
        print(profile_build(site, args.top, args.save))


if __name__ == "__main__":
    main()
