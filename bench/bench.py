#!/usr/bin/env python3
"""feedpub, Hugo and Pelican side by side on the same corpus (issue 5).

    make bench                          # n=1,000: cold, no-change, one-edit; 5 runs + 1 warm-up
    make bench BENCH_ARGS="--big"       # n=1,000 and n=10,000 (3 runs + 1 warm-up)
    python bench/bench.py --quick       # 1 run, no warm-up: a smoke test of the harness
    python bench/bench.py --tools feedpub hugo --modes cold --runs 3 --sizes 1000

Peers are set up once by ../shared/bench/setup.sh into $PEERBENCH_HOME
(default /tmp/feedpub-bench), outside the repo; everything this script
writes goes there too, except the JSON results (bench/results/, git-ignored).
Every build is a separate process timed from outside: wall seconds on the
monotonic clock from spawn to reap, and peak RSS from os.wait4(). Runs are
interleaved (round 1: every tool, round 2: every tool, ...; the order rotates
each round) so that noise from other work on the machine hits all tools alike.
Standard library only. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
RESULTS = REPO / "bench" / "results"
TOOLS = ("feedpub", "hugo", "pelican")
MODES = ("cold", "no-change", "one-edit")
MODE_ALIASES = {"warm": "no-change", "nochange": "no-change", "edit": "one-edit"}
BIG = 5000  # sizes from here up default to fewer runs
TARGETS = {"cold": 2.5, "no-change": 0.1, "one-edit": 0.15}  # feedpub / Hugo, wall time
MEMORY_TARGET = (10000, 0.25)  # at n=10,000: feedpub peak RSS / Hugo's
EDIT_LINES = ("Edited for the benchmark.", "Edited again for the benchmark, differently.")

FEEDPUB_CONFIG = """\
# Written by bench/bench.py: the peers' workload (site-wide and per-tag RSS
# and Atom, full content, every published post in every feed).
[site]
url = "https://example.org/"
timezone = "UTC"
{pages}
[paths]
posts = "{posts}"
output = "output"
state = "state"

[feeds]
formats = ["rss", "atom"]
limit = 0
tags = true
content = "full"
"""


# ---------------------------------------------------------------------------
# Running one build


@dataclass
class Run:
    wall: float
    peak_mib: float
    rc: int
    stderr: str = ""


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    cwd: Path | None = None
    env: tuple[tuple[str, str], ...] = ()


def run_once(cmd: Command) -> Run:
    """Spawn, wait, and measure one build: wall seconds and the child's peak RSS."""
    env = {**os.environ, **dict(cmd.env)}
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace") if rc else ""
    return Run(wall, usage.ru_maxrss / 1024.0, rc, tail)  # ru_maxrss is KiB on Linux


# ---------------------------------------------------------------------------
# Where things are


@dataclass(frozen=True)
class Env:
    home: Path  # $PEERBENCH_HOME
    shared: Path  # ../shared
    feedpub: Path  # the console script
    pages: bool  # whether feedpub writes its HTML pages in these runs
    pages_switch: bool  # whether feedpub has a [site] pages switch at all

    @property
    def run_sh(self) -> Path:
        return self.shared / "bench" / "run.sh"

    def run_sh_command(self, *args: str) -> Command:
        """shared/bench/run.sh with these arguments (it execs the tool itself)."""
        return Command((str(self.run_sh), *args), env=(("PEERBENCH_HOME", str(self.home)),))

    def corpus(self, n: int) -> Path:
        return self.home / "corpora" / f"n{n}"


def setup_done(home: Path, sizes: list[int]) -> bool:
    """The peers' venvs, the Hugo site and every wanted corpus are in place."""
    needed = [home / "venv-pelican" / "bin" / "pelican", home / "bin" / "hugo",
              home / "sites" / "hugo" / "hugo.toml"]
    needed += [home / "corpora" / f"manifest-n{n}.json" for n in sizes]
    return all(p.exists() for p in needed)


def ensure_setup(home: Path, shared: Path, sizes: list[int]) -> None:
    """Run shared/bench/setup.sh unless an earlier run already did it all."""
    if setup_done(home, sizes):
        return
    for n in sizes:  # a corpus without its manifest was cut short: make it again
        if not (home / "corpora" / f"manifest-n{n}.json").exists():
            shutil.rmtree(home / "corpora" / f"n{n}", ignore_errors=True)
    log(f"setting up peers and corpora in {home} (once; takes a few minutes)")
    env = {**os.environ, "PEERBENCH_HOME": str(home)}
    subprocess.run([str(shared / "bench" / "setup.sh"), *map(str, sizes)], env=env, check=True)


def probe_pages_switch(feedpub: Path) -> bool:
    """Whether this feedpub accepts `[site] pages = false` (feeds only, like the peers)."""
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        (site / "posts").mkdir()
        text = FEEDPUB_CONFIG.format(pages="pages = false", posts=site / "posts")
        (site / "feedpub.toml").write_text(text, encoding="utf-8")
        proc = subprocess.run([str(feedpub), "-q", "check"], cwd=site, capture_output=True,
                              text=True)
    return proc.returncode == 0 and "unknown key" not in proc.stderr


# ---------------------------------------------------------------------------
# Tools: how to run a build of each, in each mode


def feedpub_site(env: Env, site: Path, posts: Path) -> Command:
    """A scratch site folder whose feedpub.toml points at `posts`; output/ and state/ inside."""
    site.mkdir(parents=True, exist_ok=True)
    pages = "" if not env.pages_switch else f"pages = {'true' if env.pages else 'false'}"
    text = FEEDPUB_CONFIG.format(pages=pages, posts=posts)
    (site / "feedpub.toml").write_text(text, encoding="utf-8")
    return Command((str(env.feedpub), "-q", "build"), cwd=site)


def peer_command(env: Env, tool: str, corpus: Path, out: Path, cache: Path) -> Command:
    """The command line run.sh execs, for a corpus and dirs of our own (the one-edit mode)."""
    home, shared = env.home, env.shared
    if tool == "hugo":
        argv = (str(home / "bin" / "hugo"), "--quiet", "-s", str(home / "sites" / "hugo"),
                "--contentDir", str(corpus), "--destination", str(out), "--cacheDir", str(cache))
        return Command(argv)
    argv = (str(home / "venv-pelican" / "bin" / "pelican"), "-q", str(corpus),
            "-s", str(shared / "bench" / "pelican" / "pelicanconf.py"),
            "-o", str(out), "--cache-path", str(cache))
    return Command(argv, env=(("PYTHONDONTWRITEBYTECODE", "1"), ("PEERBENCH_CACHE", "1")))


class Bench:
    """One tool at one size in one mode: prepare() once, then before()/command()/after()."""

    primes = False  # whether one untimed build must come first (no-change, one-edit)

    def __init__(self, env: Env, tool: str, n: int) -> None:
        self.env, self.tool, self.n = env, tool, n
        self.outputs: dict[str, int] | None = None  # what a build wrote: files by kind, bytes

    def prepare(self) -> None: ...

    def before(self) -> None: ...

    def command(self) -> Command:
        raise NotImplementedError

    def after(self) -> None: ...


class Cold(Bench):
    """Empty output and state/cache before every run."""

    def prepare(self) -> None:
        if self.tool == "feedpub":
            self.site = self.env.home / "feedpub" / f"n{self.n}-cold"
            self.cmd = feedpub_site(self.env, self.site, self.env.corpus(self.n) / "posts")

    def before(self) -> None:
        if self.tool == "feedpub":
            for name in ("output", "state"):
                shutil.rmtree(self.site / name, ignore_errors=True)

    def command(self) -> Command:
        if self.tool == "feedpub":
            return self.cmd
        return self.env.run_sh_command(self.tool, str(self.n), "cold")

    def after(self) -> None:
        if self.tool == "feedpub":
            outs = [self.site / "output"]
        else:  # run.sh made a fresh out/TOOL-nN-cold/<pid>-<random>/
            cold = self.env.home / "out" / f"{self.tool}-n{self.n}-cold"
            outs = list(cold.iterdir()) if cold.is_dir() else []
        if self.outputs is None and outs and outs[0].is_dir():
            self.outputs = count_outputs(outs[0])
        if self.tool != "feedpub":
            clean = self.env.run_sh_command("clean")
            subprocess.run(clean.argv, env={**os.environ, **dict(clean.env)}, check=True)


class NoChange(Bench):
    """A second build with nothing changed (Pelican: its content cache, run.sh warm)."""

    primes = True

    def prepare(self) -> None:
        home, tag = self.env.home, f"{self.tool}-n{self.n}-warm"
        if self.tool == "feedpub":
            site = home / "feedpub" / f"n{self.n}-no-change"
            shutil.rmtree(site, ignore_errors=True)
            self.cmd = feedpub_site(self.env, site, self.env.corpus(self.n) / "posts")
        else:
            shutil.rmtree(home / "out" / tag, ignore_errors=True)
            shutil.rmtree(home / "cache" / tag, ignore_errors=True)
            self.cmd = self.env.run_sh_command(self.tool, str(self.n), "warm")

    def command(self) -> Command:
        return self.cmd


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
        if self.tool == "feedpub":
            self.cmd = feedpub_site(self.env, root / "site", corpus / "posts")
        else:
            self.cmd = peer_command(self.env, self.tool, corpus, root / "out", root / "cache")

    def before(self) -> None:
        if not self.primed:
            return
        line = EDIT_LINES[self.edits % 2]  # alternates, so every run is a real change
        self.post.write_text(f"{self.original.rstrip()}\n\n{line}\n", encoding="utf-8")
        self.edits += 1

    def command(self) -> Command:
        return self.cmd

    def after(self) -> None:
        self.primed = True


BENCHES: dict[str, type[Bench]] = {"cold": Cold, "no-change": NoChange, "one-edit": OneEdit}


def edited_post(home: Path, n: int) -> str:
    """The post the one-edit mode changes: a published `python` post from the middle."""
    manifest = json.loads((home / "corpora" / f"manifest-n{n}.json").read_text(encoding="utf-8"))
    live = sorted(p["file"] for p in manifest["posts"]
                  if not p["draft"] and not p["future"] and "python" in p["tags"])
    return str(live[len(live) // 2])


def count_outputs(out: Path) -> dict[str, int]:
    """Files a build wrote, by kind, and their total bytes."""
    counts = {"files": 0, "html": 0, "feeds": 0, "bytes": 0}
    for path in out.rglob("*"):
        if path.is_file():
            counts["files"] += 1
            counts["bytes"] += path.stat().st_size
            counts["html"] += path.suffix == ".html"
            counts["feeds"] += path.suffix in (".xml", ".json") and path.name != "feed.xsl"
    return counts


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
    return {"tool": bench.tool, "n": bench.n, "mode": mode, "runs": len(runs),
            "wall_s_all": [r.wall for r in runs], "peak_mib_all": [r.peak_mib for r in runs],
            "exit_codes": [r.rc for r in runs],
            "wall_s": summary([r.wall for r in runs]),
            "peak_mib": summary([r.peak_mib for r in runs]),
            "outputs": bench.outputs,
            "edited_post": getattr(bench, "post", None) and bench.post.name}  # type: ignore


# ---------------------------------------------------------------------------
# Reporting


HEADER = ("| tool | N | mode | median s (min-max) | peak MiB | feedpub ratio (time) "
          "| feedpub ratio (memory) |\n|---|---:|---|---:|---:|---:|---:|")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def rows(group: list[dict[str, object]]) -> list[str]:
    """Markdown rows for one (N, mode) group; ratios are feedpub's median / the tool's."""
    fp = next((r for r in group if r["tool"] == "feedpub"), None)
    lines = []
    for r in group:
        w, p = r["wall_s"], r["peak_mib"]
        bad = "" if set(r["exit_codes"]) == {0} else f" (exit {sorted(set(r['exit_codes']))})"
        tr = mr = "-"
        if fp and r is not fp:
            tr = ratio(fp["wall_s"]["median"], w["median"])
            mr = ratio(fp["peak_mib"]["median"], p["median"])
        lines.append(f"| {r['tool']}{bad} | {r['n']:,} | {r['mode']} | {w['median']:.2f} "
                     f"({w['min']:.2f}-{w['max']:.2f}) | {p['median']:.0f} | {tr} | {mr} |")
    return lines


def find(results: list[dict], tool: str, n: int, mode: str) -> dict | None:
    return next((r for r in results if (r["tool"], r["n"], r["mode"]) == (tool, n, mode)), None)


def targets(results: list[dict], sizes: list[int]) -> list[dict[str, object]]:
    """The issue's targets, each PASS/FAIL with the measured ratio (or not measured)."""
    checks = []
    for n in sizes:
        for mode, limit in TARGETS.items():
            fp, hugo = find(results, "feedpub", n, mode), find(results, "hugo", n, mode)
            value = fp["wall_s"]["median"] / hugo["wall_s"]["median"] if fp and hugo else None
            checks.append({"target": f"{mode} time, n={n:,}", "limit": limit, "ratio": value})
    n_mem, limit = MEMORY_TARGET
    pairs = [(find(results, "feedpub", n_mem, m), find(results, "hugo", n_mem, m)) for m in MODES]
    pairs = [(f, h) for f, h in pairs if f and h]
    value = max((f["peak_mib"]["median"] / h["peak_mib"]["median"] for f, h in pairs),
                default=None)  # the worst mode counts
    checks.append({"target": f"peak memory, n={n_mem:,} (worst mode)", "limit": limit,
                   "ratio": value})
    for check in checks:
        value = check["ratio"]
        check["verdict"] = "n/a" if value is None else "PASS" if value <= check["limit"] else "FAIL"
    return checks


def target_lines(checks: list[dict[str, object]]) -> list[str]:
    lines = ["| target (feedpub / Hugo) | limit | measured | verdict |", "|---|---:|---:|---|"]
    for c in checks:
        measured = "not measured" if c["ratio"] is None else f"{c['ratio']:.2f}x"
        lines.append(f"| {c['target']} | <= {c['limit']}x | {measured} | {c['verdict']} |")
    return lines


def output_lines(results: list[dict]) -> list[str]:
    lines = ["| tool | N | files written (cold) | HTML pages | feed files | MiB written |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        o = r.get("outputs")
        if r["mode"] == "cold" and o:
            lines.append(f"| {r['tool']} | {r['n']:,} | {o['files']} | {o['html']} | "
                         f"{o['feeds']} | {o['bytes'] / 2**20:.1f} |")
    return lines


def machine() -> dict[str, object]:
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(),
            "memory_gib": round(mem, 1), "python": platform.python_version(),
            "loadavg_start": os.getloadavg()}


def versions(env: Env) -> dict[str, str]:
    def out(*argv: str) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    dirty = out("git", "-C", str(REPO), "status", "--porcelain", "--", "src")
    return {"feedpub": out("git", "-C", str(REPO), "rev-parse", "--short", "HEAD")
            + (" + uncommitted changes in src/" if dirty else ""),
            "hugo": " ".join(out(str(env.home / "bin" / "hugo"), "version").split()[1:2]),
            "pelican": out(str(env.home / "venv-pelican" / "bin" / "pelican"), "--version")}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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
    ap.add_argument("--home", type=Path, help="scratch folder (default $PEERBENCH_HOME, "
                                              "else /tmp/feedpub-bench)")
    ap.add_argument("--shared", type=Path, default=SHARED, help=f"default {SHARED}")
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
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.home.mkdir(parents=True, exist_ok=True)
    ensure_setup(args.home, args.shared, args.sizes)
    feedpub = args.feedpub or Path(sys.executable).parent / "feedpub"
    if not feedpub.exists():
        feedpub = REPO / ".venv" / "bin" / "feedpub"
    feedpub = feedpub.absolute()  # builds run with their site folder as cwd
    switch = probe_pages_switch(feedpub)
    env = Env(args.home, args.shared.resolve(), feedpub, args.pages or not switch, switch)
    log(f"feedpub {'has' if switch else 'has no'} [site] pages switch; "
        f"HTML pages {'on' if env.pages else 'off'} in these runs")
    meta = {"started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "argv": sys.argv[1:], "machine": machine(), "versions": versions(env),
            "home": str(args.home), "feedpub_pages": env.pages,
            "feedpub_pages_switch": switch}
    results: list[dict] = []
    print(HEADER, flush=True)
    for n in args.sizes:
        runs = args.runs or (3 if n >= BIG else 5)
        for mode in args.modes:
            group = measure_group(env, args.tools, n, mode, runs, args.warmup)
            results.extend(group)
            print("\n".join(rows(group)), flush=True)
    checks = targets(results, args.sizes)
    print("\n" + "\n".join(target_lines(checks)))
    counts = "/".join(str(args.runs or (3 if n >= BIG else 5)) for n in args.sizes)
    pages = "ON (more work than the peers)" if env.pages else "off ([site] pages = false)"
    print(f"\nNotes: medians of {counts} runs after {args.warmup} warm-up round(s), "
          "interleaved. Pelican's no-change and one-edit builds use its content cache "
          f"(run.sh warm). feedpub's HTML pages: {pages}. Peak MiB is ru_maxrss of the "
          "build process (the largest process, not a sum).")
    if any(r["mode"] == "cold" for r in results):
        print("\n" + "\n".join(output_lines(results)))
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
