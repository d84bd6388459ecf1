"""Everything in .feedpub/, one owner per file.

ledger (feedpub.sqlite: published posts, the output manifest, facts; the truth) with
digests (its digest tables); postcache (posts.pickle) and cache (cache.sqlite): caches
that may be dropped at any time; locks (build, digest, daemon).
"""

from feedpub.store.cache import BuildCache, CacheDamaged
from feedpub.store.digests import EXPLICIT, NEXT, History, PastDigest
from feedpub.store.ledger import Ledger, open_ledger, read_ledger
from feedpub.store.locks import BUILD, DIGEST, daemon_lock, exclusive, holder
from feedpub.store.postcache import PostCache

__all__ = ["BUILD", "DIGEST", "EXPLICIT", "NEXT", "BuildCache", "CacheDamaged", "History",
           "Ledger", "PastDigest", "PostCache", "daemon_lock", "exclusive", "holder",
           "open_ledger", "read_ledger"]
