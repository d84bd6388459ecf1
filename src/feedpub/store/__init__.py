"""Everything in .feedpub/, one owner per file.

ledger (feedpub.sqlite, the truth: schema and migrations, meta facts, the output
manifest) with its tables' modules published (post ids) and digests; postcache
(posts.pickle) and cache (cache.sqlite): caches that may be dropped at any time;
locks (build, digest, daemon).
"""
