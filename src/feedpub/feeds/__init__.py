"""Items to bytes: the three feed formats and the HTML pages. No I/O, no clock.

model (Item, FeedInfo) -> formats (RSS, Atom, JSON Feed: entries and frames) and
pages (index, post and tag pages, the feed stylesheet).
"""

from feedpub.feeds.formats import SEPARATORS, SERIALISERS, Frame, frame
from feedpub.feeds.model import FeedInfo, Item, feed_updated, updated
from feedpub.feeds.pages import FeedLink, feed_links, index_page, post_page, stylesheet, tag_page

__all__ = ["SEPARATORS", "SERIALISERS", "FeedInfo", "FeedLink", "Frame", "Item", "feed_links",
           "feed_updated", "frame", "index_page", "post_page", "stylesheet", "tag_page",
           "updated"]
