#!/usr/bin/env python3
"""feedpub, Hugo and Pelican side by side on the same corpus (issue 5).

    make bench                          # n=1,000: cold, no-change, one-edit; 5 runs + 1 warm-up
    make bench BENCH_ARGS="--big"       # n=1,000 and n=10,000 (3 runs + 1 warm-up)
    python bench/bench.py --quick       # 1 run, no warm-up: a smoke test of the harness
    python bench/bench.py --tools feedpub hugo --modes cold --runs 3 --sizes 1000
    python bench/bench.py --baseline ../old/.venv/bin/feedpub --tools feedpub hugo

Needs nothing outside the repository: the peers' configs and pinned
requirements are in bench/peers/, the corpora come from tests/corpus.py.
Setup (bench/scratch.py) happens once, in the scratch folder --home
($PEERBENCH_HOME, else /tmp/feedpub-bench), outside the repo; everything this
script writes goes there too, except the JSON results (bench/results/,
git-ignored). Every build is a separate process timed from outside
(bench/builds.py): wall seconds on the monotonic clock from spawn to reap, and
peak RSS from os.wait4(). Runs are interleaved (round 1: every tool, round 2:
every tool, ...; the order rotates each round) so that noise from other work
on the machine hits all tools alike. --baseline adds a second feedpub as the
tool `feedpub-base`, in the same rounds. Standard library only. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import report
import scratch
from builds import Command, Feedpub, Run, feedpub_site, peer_command, prepare_feedpub, run_once
from report import MODES
from scratch import log

REPO = scratch.REPO
RESULTS = REPO / "bench" / "results"
TOOLS = ("feedpub", "hugo", "pelican")
PEERS = ("hugo", "pelican")
BASE = "feedpub-base"  # the tool name of --baseline
MODE_ALIASES = {"warm": "no-change", "nochange": "no-change", "edit": "one-edit"}
BIG = 5000  # sizes from here up default to fewer runs
EDIT_LINES = ("Edited for the benchmark.", "Edited again for the benchmark, differently.")


@dataclass(frozen=True)
class Env:
    home: Path  # the scratch folder
    feedpubs: dict[str, Feedpub]  # "feedpub" and, with --baseline, "feedpub-base"

    def corpus(self, n: int) -> Path:
        return scratch.corpus(self.home, n)


# ---------------------------------------------------------------------------
# The modes: how to run a build of each tool, in each mode


class Bench:
    """One tool at one size in one mode: prepare() once, then before()/command()/after()."""

    primes = False  # whether one untimed build must come first (no-change, one-edit)

    def __init__(self, env: Env, tool: str, n: int) -> None:
        self.env, self.tool, self.n = env, tool, n
        self.feedpub = env.feedpubs.get(tool)  # None for a peer
        self.outputs: dict[str, int] | None = None  # what a build wrote: files by kind, bytes
        self.cmd: Command

    def peer_dirs(self, kind: str) -> tuple[Path, Path]:
        """A peer's output and cache folders for this size and kind of run."""
        name = f"{self.tool}-n{self.n}-{kind}"
        return self.env.home / "out" / name, self.env.home / "cache" / name

    def prepare(self) -> None: ...

    def before(self) -> None: ...

    def command(self) -> Command:
        return self.cmd

    def after(self) -> None: ...


class Cold(Bench):
    """Empty output and state/cache before every run (Pelican: content cache off)."""

    def prepare(self) -> None:
        corpus = self.env.corpus(self.n)
        if self.feedpub:
            site = self.env.home / self.tool / f"n{self.n}-cold"
            self.cmd = feedpub_site(self.feedpub, site, corpus / "posts")
            self.out, self.wipe = site / "output", [site / "output", site / "state"]
        else:
            self.out, cache = self.peer_dirs("cold")
            self.wipe = [self.out, cache]
            self.cmd = peer_command(self.env.home, self.tool, corpus, self.out, cache,
                                    cache_on=False)

    def before(self) -> None:
        for folder in self.wipe:
            shutil.rmtree(folder, ignore_errors=True)
            if not self.feedpub:  # the peers are given them, empty
                folder.mkdir(parents=True)

    def after(self) -> None:
        if self.outputs is None and self.out.is_dir():
            self.outputs = report.count_outputs(self.out)
        if not self.feedpub:  # the next before() would anyway; frees the disk meanwhile
            for folder in self.wipe:
                shutil.rmtree(folder, ignore_errors=True)


class NoChange(Bench):
    """A second build with nothing changed (Pelican: its content cache on)."""

    primes = True

    def prepare(self) -> None:
        corpus = self.env.corpus(self.n)
        if self.feedpub:
            site = self.env.home / self.tool / f"n{self.n}-no-change"
            shutil.rmtree(site, ignore_errors=True)
            self.cmd = feedpub_site(self.feedpub, site, corpus / "posts")
        else:
            out, cache = self.peer_dirs("warm")
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            self.cmd = peer_command(self.env.home, self.tool, corpus, out, cache, cache_on=True)


class OneEdit(Bench):
    """One post's body edited before every run, in a private copy of the corpus."""

    primes = True
    primed = False  # the first (priming) build runs on the unedited corpus

    def prepare(self) -> None:
        root = self.env.home / "edit" / f"{self.tool}-n{self.n}"
        shutil.rmtree(root, ignore_errors=True)
        corpus = root / "corpus"
        shutil.copytree(self.env.corpus(self.n) / "posts", corpus / "posts")
        self.post = corpus / "posts" / edited_post(self.env.home, self.n)
        self.original = self.post.read_text(encoding="utf-8")
        self.edits = 0
        if self.feedpub:
            self.cmd = feedpub_site(self.feedpub, root / "site", corpus / "posts")
        else:
            self.cmd = peer_command(self.env.home, self.tool, corpus, root / "out",
                                    root / "cache", cache_on=True)

    def before(self) -> None:
        if not self.primed:
            return
        line = EDIT_LINES[self.edits % 2]  # alternates, so every run is a real change
        self.post.write_text(f"{self.original.rstrip()}\n\n{line}\n", encoding="utf-8")
        self.edits += 1

    def after(self) -> None:
        self.primed = True


BENCHES: dict[str, type[Bench]] = {"cold": Cold, "no-change": NoChange, "one-edit": OneEdit}


def edited_post(home: Path, n: int) -> str:
    """The post the one-edit mode changes: a published `python` post from the middle."""
    manifest = json.loads(scratch.manifest(home, n).read_text(encoding="utf-8"))
    live = sorted(p["file"] for p in manifest["posts"]
                  if not p["draft"] and not p["future"] and "python" in p["tags"])
    return str(live[len(live) // 2])


# ---------------------------------------------------------------------------
# Measuring: interleaved rounds


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure_group(env: Env, tools: list[str], n: int, mode: str, runs: int,
                  warmup: int) -> list[dict[str, object]]:
    """Every tool at size n in one mode, `warmup` + `runs` interleaved rounds."""
    benches = [BENCHES[mode](env, tool, n) for tool in tools]
    for bench in benches:
        bench.prepare()
    untimed: dict[str, list[dict[str, object]]] = {t: [] for t in tools}  # kept in the JSON
    if benches[0].primes:  # the build that the no-change / edit runs follow
        for bench in benches:
            run = timed(bench, f"n={n} {mode} priming build")
            untimed[bench.tool].append({"run": "priming", "wall_s": run.wall,
                                        "peak_mib": run.peak_mib, "exit_code": run.rc})
    runs_of: dict[str, list[Run]] = {t: [] for t in tools}
    for round_no in range(warmup + runs):
        label = "warm-up" if round_no < warmup else f"run {round_no - warmup + 1}/{runs}"
        shift = round_no % len(benches)
        for bench in benches[shift:] + benches[:shift]:
            run = timed(bench, f"n={n} {mode} {label}")
            if round_no >= warmup:
                runs_of[bench.tool].append(run)
            else:
                untimed[bench.tool].append({"run": "warm-up", "wall_s": run.wall,
                                            "peak_mib": run.peak_mib, "exit_code": run.rc})
    return [{**result(b, mode, runs_of[b.tool]), "untimed": untimed[b.tool]} for b in benches]


def timed(bench: Bench, label: str) -> Run:
    bench.before()
    run = run_once(bench.command())
    bench.after()
    flag = "" if run.rc == 0 else f"  EXIT {run.rc}: {run.stderr.strip()[-300:]}"
    log(f"{label}: {bench.tool} {run.wall:.2f} s, {run.peak_mib:.0f} MiB{flag}")
    return run


def result(bench: Bench, mode: str, runs: list[Run]) -> dict[str, object]:
    post = getattr(bench, "post", None)
    return {"tool": bench.tool, "n": bench.n, "mode": mode, "runs": len(runs),
            "wall_s_all": [r.wall for r in runs], "peak_mib_all": [r.peak_mib for r in runs],
            "exit_codes": [r.rc for r in runs],
            "wall_s": summary([r.wall for r in runs]),
            "peak_mib": summary([r.peak_mib for r in runs]),
            "outputs": bench.outputs,
            "edited_post": post.name if post else None}


# ---------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big", action="store_true", help="also n=10,000 (sizes 1000 10000)")
    ap.add_argument("--sizes", type=int, nargs="+", help="corpus sizes (default 1000)")
    ap.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    ap.add_argument("--modes", nargs="+", default=list(MODES),
                    help="cold, no-change (alias warm), one-edit (alias edit)")
    ap.add_argument("--runs", type=int, help=f"timed runs each (default 5; 3 from n={BIG})")
    ap.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 1 run, no warm-up")
    ap.add_argument("--pages", action="store_true",
                    help="let feedpub write its HTML pages even if it can switch them off")
    ap.add_argument("--feedpub", type=Path, help="feedpub console script to run "
                                                 "(default: the one beside this Python)")
    ap.add_argument("--baseline", type=Path, metavar="PATH",
                    help=f"a second feedpub console script (e.g. another checkout's "
                         f".venv/bin/feedpub), timed in the same rounds as tool {BASE}")
    ap.add_argument("--home", type=Path, help="scratch folder (default $PEERBENCH_HOME, "
                                              "else /tmp/feedpub-bench)")
    ap.add_argument("--json", type=Path, help="results file (default bench/results/<time>.json)")
    args = ap.parse_args(argv)
    args.sizes = args.sizes or ([1000, 10000] if args.big else [1000])
    args.modes = [MODE_ALIASES.get(m, m) for m in args.modes]
    if unknown := set(args.modes) - set(MODES):
        ap.error(f"unknown mode(s) {sorted(unknown)}; expected {', '.join(MODES)}")
    if args.quick:
        args.runs, args.warmup = 1, 0
    args.home = (args.home or Path(os.environ.get("PEERBENCH_HOME") or "/tmp/feedpub-bench"))
    args.home = args.home.resolve()
    if args.home.is_relative_to(REPO):
        ap.error(f"--home {args.home} is inside the repo; pick a scratch folder outside it")
    args.feedpub = args.feedpub or Path(sys.executable).parent / "feedpub"
    if not args.feedpub.exists():
        args.feedpub = REPO / ".venv" / "bin" / "feedpub"
    args.feedpub = args.feedpub.absolute()  # builds run with their site folder as cwd
    tools = list(dict.fromkeys(args.tools))
    if args.baseline:
        args.baseline = args.baseline.absolute()
        if not args.baseline.is_file():
            ap.error(f"--baseline {args.baseline}: no such file")
        at = tools.index("feedpub") + 1 if "feedpub" in tools else 0
        tools.insert(at, BASE)  # beside feedpub in the rotation
    args.tools = tools
    return args


def set_up(args: argparse.Namespace) -> Env:
    """Peers and corpora in the scratch folder; each feedpub compiled and probed."""
    args.home.mkdir(parents=True, exist_ok=True)
    scratch.ensure_peers(args.home, [t for t in args.tools if t in PEERS])
    scratch.ensure_corpora(args.home, args.sizes)
    scripts = {"feedpub": args.feedpub, BASE: args.baseline}
    feedpubs = {}
    for tool in args.tools:
        if tool in scripts:
            fp = feedpubs[tool] = prepare_feedpub(scripts[tool], args.pages)
            log(f"{tool}: {fp.script} ({fp.version or 'version unknown'}); "
                f"{'has' if fp.pages_switch else 'has no'} [site] pages switch; "
                f"HTML pages {'on' if fp.pages else 'off'} in these runs")
    if len({fp.pages for fp in feedpubs.values()}) > 1:
        log("WARNING: one feedpub writes HTML pages and the other does not")
    return Env(args.home, feedpubs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = set_up(args)
    meta = {"started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "argv": sys.argv[1:], "machine": report.machine(),
            "versions": {**{t: fp.version for t, fp in env.feedpubs.items()},
                         **report.peer_versions(env.home)},
            "home": str(args.home), "tools": args.tools,
            "feedpub_pages": next((fp.pages for fp in env.feedpubs.values()), None),
            "feedpubs": {t: {"script": str(fp.script), "pages": fp.pages,
                             "pages_switch": fp.pages_switch}
                         for t, fp in env.feedpubs.items()}}
    results: list[dict] = []
    print(report.HEADER, flush=True)
    for n in args.sizes:
        runs = args.runs or (3 if n >= BIG else 5)
        for mode in args.modes:
            group = measure_group(env, args.tools, n, mode, runs, args.warmup)
            results.extend(group)
            print("\n".join(report.rows(group)), flush=True)
    checks = report.targets(results, args.sizes)
    print("\n" + "\n".join(report.target_lines(checks)))
    counts = "/".join(str(args.runs or (3 if n >= BIG else 5)) for n in args.sizes)
    pages = ", ".join(f"{t} {'ON (more work than the peers)' if fp.pages else 'off'}"
                      for t, fp in env.feedpubs.items())
    base = f" On the {BASE} row the ratios are new / base." if BASE in args.tools else ""
    print(f"\nNotes: medians of {counts} runs after {args.warmup} warm-up round(s), "
          "interleaved. Ratios: feedpub's median / the row's tool's." + base +
          " Pelican's no-change and one-edit builds use its content cache. "
          f"HTML pages: {pages or '-'}. Peak MiB is ru_maxrss of the build process "
          "(the largest process, not a sum).")
    if any(r["mode"] == "cold" for r in results):
        print("\n" + "\n".join(report.output_lines(results)))
    meta["loadavg_end"] = os.getloadavg()
    path = args.json or RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "results": results, "targets": checks},
                               indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nresults saved to {path}")
    failed = [r for r in results if set(r["exit_codes"]) != {0}]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
