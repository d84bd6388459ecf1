"""bench.py's tables (markdown, to stdout), the issue's targets, and the run's metadata."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
from pathlib import Path

import scratch

MODES = ("cold", "no-change", "one-edit")
FEEDPUBS = ("feedpub", "feedpub-base")  # the tools the targets are checked for
TARGETS = {"cold": 2.5, "no-change": 0.1, "one-edit": 0.15}  # feedpub / Hugo, wall time
MEMORY_TARGET = (10000, 0.25)  # at n=10,000: feedpub peak RSS / Hugo's

HEADER = ("| tool | N | mode | median s (min-max) | peak MiB | feedpub ratio (time) "
          "| feedpub ratio (memory) |\n|---|---:|---|---:|---:|---:|---:|")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def rows(group: list[dict]) -> list[str]:
    """Markdown rows for one (N, mode) group; ratios are feedpub's median / the row's tool's.

    On the feedpub-base row that is new / base.
    """
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


def targets(results: list[dict], sizes: list[int]) -> list[dict]:
    """The issue's targets, each PASS/FAIL with the measured ratio (or not measured).

    For feedpub, and for feedpub-base too when it ran.
    """
    checks = []
    for tool in [t for t in FEEDPUBS if any(r["tool"] == t for r in results)] or ["feedpub"]:
        who = "" if tool == "feedpub" else f" ({tool})"
        for n in sizes:
            for mode, limit in TARGETS.items():
                fp, hugo = find(results, tool, n, mode), find(results, "hugo", n, mode)
                value = fp["wall_s"]["median"] / hugo["wall_s"]["median"] if fp and hugo else None
                checks.append({"target": f"{mode} time, n={n:,}{who}", "tool": tool,
                               "limit": limit, "ratio": value})
        n_mem, limit = MEMORY_TARGET
        pairs = [(find(results, tool, n_mem, m), find(results, "hugo", n_mem, m)) for m in MODES]
        pairs = [(f, h) for f, h in pairs if f and h]
        value = max((f["peak_mib"]["median"] / h["peak_mib"]["median"] for f, h in pairs),
                    default=None)  # the worst mode counts
        checks.append({"target": f"peak memory, n={n_mem:,} (worst mode){who}", "tool": tool,
                       "limit": limit, "ratio": value})
    for check in checks:
        value = check["ratio"]
        check["verdict"] = "n/a" if value is None else "PASS" if value <= check["limit"] else "FAIL"
    return checks


def target_lines(checks: list[dict]) -> list[str]:
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


def machine() -> dict[str, object]:
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in
                   Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(),
            "memory_gib": round(mem, 1), "python": platform.python_version(),
            "loadavg_start": os.getloadavg()}


def peer_versions(home: Path) -> dict[str, str]:
    def out(*argv: str) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    return {"hugo": " ".join(out(str(scratch.hugo_bin(home)), "version").split()[1:2]),
            "pelican": out(str(scratch.pelican_bin(home)), "--version")}
