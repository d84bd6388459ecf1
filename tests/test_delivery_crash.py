"""kill -9 loop: `feedpub send` to 500 subscribers, killed at random instants, then finished.

Real processes against a real SMTP server slow enough (a delay per message, after the
message is recorded and before its 250) that the kills land in the middle of sends: a
kill there leaves a message the server took but whose answer feedpub never saw. After
the final send every subscriber must hold exactly one copy, except the messages the
outbox flags uncertain (sent again after a cut): never more copies than the outbox
counts attempts, so at most two unless a kill also cut the copy sent again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from feedpub.store import outbox
from feedpub.store.ledger import open_ledger
from tests.conftest import Site
from tests.smtp_server import SmtpServer
from tests.test_delivery import newsletter

SUBSCRIBERS = 500
KILLS = 25
DELAY = 0.06  # seconds per message at the server: ~30 s of sending in all


@pytest.mark.slow
def test_kill_9_loop_every_subscriber_gets_exactly_one_copy(site: Site) -> None:
    seed = int(os.environ.get("FEEDPUB_KILL_SEED", time.time_ns() % 10**6))
    rng = random.Random(seed)
    readers = [f"reader{n:03}@example.net" for n in range(SUBSCRIBERS)]
    with SmtpServer(delay=DELAY) as smtp:
        digest_id = newsletter(site, smtp.port, readers)
        kills, mid_send = 0, 0
        while kills < KILLS:
            before = len(smtp.arrivals)
            process = subprocess.Popen([sys.executable, "-m", "feedpub", "-q", "send"],
                                       cwd=site.root, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            try:
                _, err = process.communicate(timeout=rng.uniform(0.2, 2.0))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.communicate()
                kills += 1
                mid_send += len(smtp.arrivals) > before
                continue
            pytest.fail(f"seed {seed}: the send ended by itself after {kills} kills "
                        f"(exit {process.returncode}): {err.decode()}")
        by_kills = len(smtp.arrivals)
        final = subprocess.run([sys.executable, "-m", "feedpub", "send"], cwd=site.root,
                               capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr

    copies = Counter(r for a in smtp.arrivals for r in a.rcpt)
    ids = {r: {a.message_id for a in smtp.to(r)} for r in readers}
    with open_ledger(site.config().paths.state) as ledger:
        rows = {address: (bool(uncertain), attempts) for address, uncertain, attempts in
                ledger.db.execute("SELECT address, uncertain, attempts FROM outbox WHERE "
                                  "digest_id = ?", (digest_id,))}
        totals = outbox.tally(ledger, digest_id)
    uncertain = {r for r in readers if rows[r][0]}
    spread = Counter(copies[r] for r in uncertain)
    print(f"\nkill loop (seed {seed}): {kills} kills ({mid_send} while messages went out), "
          f"{by_kills} messages before the final send, {len(smtp.arrivals)} in all; "
          f"{len(uncertain)} uncertain, received {dict(sorted(spread.items()))} times; "
          f"the final send: {final.stdout.strip()}")

    assert totals["sent"] == SUBSCRIBERS and totals["uncertain"] == len(uncertain)
    assert mid_send >= KILLS // 2, "the kills should mostly land while messages go out"
    assert set(copies) == set(readers)  # nobody lost
    assert {r for r in readers if copies[r] != 1} <= uncertain, f"seed {seed}"
    # Each copy is an attempt the outbox counted. Two at most, unless a kill also cut the
    # copy sent again (attempts >= 3): SMTP cannot take a message back, so no sender can
    # promise better than one copy per attempt cut short.
    assert all(copies[r] <= rows[r][1] for r in uncertain), f"seed {seed}"
    assert all(copies[r] <= 2 for r in uncertain if rows[r][1] <= 2), f"seed {seed}"
    assert all(len(ids[r]) == 1 for r in readers)  # a second copy is the same message
