#!/usr/bin/env python3
"""`feedpub send` to 10,000 and 100,000 subscribers through a local SMTP sink, beside the
sink's limit: one smtplib client sending the same message over one connection.

    make bench-delivery                                   # n=10,000 and n=100,000
    .venv/bin/python bench/delivery.py --sizes 10000 --runs 3
    .venv/bin/python bench/delivery.py --sizes 10000 --profile   # where send's time goes

The site (20 posts from tests/corpus.py, a digest of the latest 10) is made once in
<home>/delivery/ (--home, $PEERBENCH_HOME, else /tmp/feedpub-bench). Before each send
the ledger is restored from a copy taken after the digest and N active subscribers are
inserted into it directly, in one transaction. The sink (bench/smtp_sink.py) is its own
process and counts what arrived; every figure is checked against it. Both the send and
the limit client are separate processes timed from outside as bench/builds.py does
(wall clock from spawn to reap, peak RSS from os.wait4), in alternating rounds. The
limit sends, N times, the very message the sink received first from feedpub.
Standard library only (feedpub runs from the project's venv).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from builds import Command, Run, run_once
from scratch import REPO, log

RESULTS = REPO / "bench" / "results"
SINK = REPO / "bench" / "smtp_sink.py"
POSTS, IN_DIGEST = 20, 10
SENDER, RECIPIENT = "news@example.org", "reader@example.net"
TARGET_RATIO, TARGET_MIB = 0.5, 150.0
CONFIG = """\
# Written by bench/delivery.py
[site]
title = "Delivery bench"
url = "https://example.org/"
timezone = "UTC"
[digest]
from = "News <{sender}>"
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
"""


@dataclass
class Measure:
    n: int
    what: str  # "feedpub" or "limit"
    wall: float
    peak_mib: float
    received: int  # messages the sink counted
    received_bytes: int

    @property
    def rate(self) -> float:
        return self.n / self.wall


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    """bench/smtp_sink.py as a process: `with Sink(port) as sink:`, then sink.totals."""

    def __init__(self, port: int, keep_first: Path | None = None) -> None:
        self.argv = [sys.executable, str(SINK), str(port)]
        if keep_first:
            self.argv += ["--keep-first", str(keep_first)]
        self.totals = (0, 0, 0)

    def __enter__(self) -> Sink:
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("the SMTP sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        messages, size, recipients = (int(v) for v in out.split())
        self.totals = (messages, size, recipients)


# --- the site ---

def feedpub_bin() -> Path:
    return Path(sys.executable).with_name("feedpub")


def prepare_site(root: Path, port: int) -> Path:
    """The site with its digest made; the pristine ledger's copy (no subscribers)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "posts").mkdir(parents=True)
    (root / "feedpub.toml").write_text(CONFIG.format(sender=SENDER, port=port),
                                       encoding="utf-8")
    subprocess.run([sys.executable, str(REPO / "tests" / "corpus.py"), "--n", str(POSTS),
                    "--out", str(root / "posts"), "--seed", "1", "--clean"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for args in (["build"], ["digest", "--latest", str(IN_DIGEST)]):
        subprocess.run([str(feedpub_bin()), "-q", *args], cwd=root, check=True)
    pristine = root / "pristine.sqlite"
    db = sqlite3.connect(root / ".feedpub" / "feedpub.sqlite")
    db.execute("VACUUM INTO ?", (str(pristine),))
    db.close()
    return pristine


def subscribe(root: Path, pristine: Path, n: int) -> None:
    """The ledger as after the digest, with `n` active subscribers (one transaction)."""
    state = root / ".feedpub"
    for name in ("feedpub.sqlite-wal", "feedpub.sqlite-shm"):
        (state / name).unlink(missing_ok=True)
    shutil.copyfile(pristine, state / "new.sqlite")
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    db = sqlite3.connect(state / "new.sqlite")
    with db:  # one transaction
        db.executemany(
            "INSERT INTO subscribers (key, address, status, source, subscribed, confirmed) "
            "VALUES (?, ?, 'active', 'import', ?, ?)",
            ((a, a, now, now) for a in (f"reader{i:06}@example.net" for i in range(n))))
    db.close()
    os.replace(state / "new.sqlite", state / "feedpub.sqlite")


# --- the runs ---

def send_once(root: Path, port: int, n: int, keep_first: Path | None) -> Measure:
    with Sink(port, keep_first) as sink:
        run = run_once(Command((str(feedpub_bin()), "-q", "send"), cwd=root))
    return checked(Measure(n, "feedpub", run.wall, run.peak_mib, *sink.totals[:2]), run)


def limit_once(port: int, n: int, message: Path) -> Measure:
    argv = (sys.executable, __file__, "--client", str(port), str(message), str(n))
    with Sink(port) as sink:
        run = run_once(Command(argv))
    return checked(Measure(n, "limit", run.wall, run.peak_mib, *sink.totals[:2]), run)


def checked(measure: Measure, run: Run) -> Measure:
    if run.rc != 0 or measure.received != measure.n:
        raise SystemExit(f"{measure.what} n={measure.n}: exit {run.rc}, {measure.received} "
                         f"messages arrived\n{run.stderr}")
    log(f"{measure.what:8} n={measure.n:,}: {measure.wall:.2f} s, {measure.rate:,.0f} msg/s, "
        f"peak {measure.peak_mib:.0f} MiB")
    return measure


def client(port: int, message: Path, n: int) -> None:
    """The limit: one smtplib connection, one transaction per message, as feedpub's own."""
    import smtplib

    content = message.read_bytes()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.ehlo()
        for _ in range(n):
            smtp.mail(SENDER)
            smtp.rcpt(RECIPIENT)
            code, _ = smtp.data(content)
            assert code == 250


def profile(root: Path, pristine: Path, port: int, n: int, top: int) -> None:
    """`feedpub send` under cProfile: the functions taking the most time, per message."""
    import pstats

    subscribe(root, pristine, n)
    out = root / "send.prof"
    with Sink(port):
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "feedpub",
                        "-q", "send"], cwd=root, check=True)
    stats = pstats.Stats(str(out))
    print(f"cProfile of feedpub send, n={n:,} (cumulative, then own time; µs per message):")
    for key in ("cumulative", "tottime"):
        stats.sort_stats(key)
        width = stats.total_tt  # type: ignore[attr-defined]
        print(f"\n-- by {key} (total {width:.2f} s)")
        for func, (_, calls, tottime, cumtime, _) in sorted(
                stats.stats.items(),  # type: ignore[attr-defined]
                key=lambda kv: -kv[1][3 if key == "cumulative" else 2])[:top]:
            name = f"{Path(func[0]).name}:{func[1]}({func[2]})"
            value = cumtime if key == "cumulative" else tottime
            print(f"{value / n * 1e6:9.1f} µs  {calls:>9}  {name}")


# --- the report ---

def table(measures: list[Measure], sizes: list[int], message_kib: float) -> str:
    rows = ["| N | feedpub send msg/s (s) | limit msg/s (s) | ratio | feedpub peak MiB "
            "| limit peak MiB |", "|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        sent = [m for m in measures if m.n == n and m.what == "feedpub"]
        limit = [m for m in measures if m.n == n and m.what == "limit"]
        rate, cap = (statistics.median(m.rate for m in ms) for ms in (sent, limit))
        rows.append(f"| {n:,} | {rate:,.0f} ({statistics.median(m.wall for m in sent):.1f}) "
                    f"| {cap:,.0f} ({statistics.median(m.wall for m in limit):.1f}) "
                    f"| {rate / cap:.2f} | {max(m.peak_mib for m in sent):.0f} "
                    f"| {max(m.peak_mib for m in limit):.0f} |")
    rows.append(f"\nmessage: {message_kib:.1f} KiB; runs each: "
                f"{len(measures) // (2 * len(sizes))}; msg/s is the median of the runs, "
                "peak the largest")
    return "\n".join(rows)


def verdict(measures: list[Measure], sizes: list[int]) -> str:
    lines = []
    peaks = {n: max(m.peak_mib for m in measures if m.n == n and m.what == "feedpub")
             for n in sizes}
    for n in sizes:
        rate = statistics.median(m.rate for m in measures if m.n == n and m.what == "feedpub")
        cap = statistics.median(m.rate for m in measures if m.n == n and m.what == "limit")
        ok = rate / cap >= TARGET_RATIO
        lines.append(f"n={n:,}: {rate / cap:.2f} of the limit (>= {TARGET_RATIO}) "
                     f"{'PASS' if ok else 'FAIL'}; peak {peaks[n]:.0f} MiB (<= {TARGET_MIB:.0f}) "
                     f"{'PASS' if peaks[n] <= TARGET_MIB else 'FAIL'}")
    if len(sizes) > 1:
        growth = peaks[max(sizes)] - peaks[min(sizes)]
        flat = growth <= 0.1 * peaks[min(sizes)]
        lines.append(f"peak from n={min(sizes):,} to n={max(sizes):,}: {growth:+.1f} MiB "
                     f"(flat: within 10%) {'PASS' if flat else 'FAIL'}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=1, help="rounds (feedpub, then the limit)")
    ap.add_argument("--home", type=Path, help="scratch folder (default $PEERBENCH_HOME, "
                    "else /tmp/feedpub-bench)")
    ap.add_argument("--profile", action="store_true",
                    help="profile one send of the first size instead of measuring")
    ap.add_argument("--top", type=int, default=25, help="rows of the profile")
    ap.add_argument("--json", type=Path, help="results file (default bench/results/"
                    "delivery-<time>.json)")
    ap.add_argument("--client", nargs=3, metavar=("PORT", "MESSAGE", "N"),
                    help=argparse.SUPPRESS)  # the limit's client process
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.client:
        client(int(args.client[0]), Path(args.client[1]), int(args.client[2]))
        return 0
    home = args.home or Path(os.environ.get("PEERBENCH_HOME", "/tmp/feedpub-bench"))
    root, port = home / "delivery" / "site", free_port()
    log(f"site in {root}: {POSTS} posts, a digest of {IN_DIGEST}; sink on 127.0.0.1:{port}")
    pristine = prepare_site(root, port)
    if args.profile:
        profile(root, pristine, port, args.sizes[0], args.top)
        return 0
    message = root.parent / "first-message.eml"
    measures: list[Measure] = []
    for n in args.sizes:
        for _ in range(args.runs):
            subscribe(root, pristine, n)
            measures.append(send_once(root, port, n, message))
            measures.append(limit_once(port, n, message))
    kib = message.stat().st_size / 1024
    print(table(measures, args.sizes, kib))
    print(verdict(measures, args.sizes))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.json or RESULTS / f"delivery-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"message_bytes": message.stat().st_size,
                               "python": sys.version.split()[0],
                               "measures": [asdict(m) for m in measures]}, indent=1),
                   encoding="utf-8")
    log(f"results in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
