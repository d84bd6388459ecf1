"""Items to bytes: the three feed formats and the HTML pages; no I/O, no clock.

model (Item, FeedInfo) -> formats (RSS, Atom, JSON Feed: each entry, and the frame
around them) and pages (index, post and tag pages, the feed stylesheet).
"""
