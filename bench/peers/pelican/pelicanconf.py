"""Pelican settings for bench/bench.py: feeds only, the same work as feedpub's and Hugo's runs.

bench.py copies this folder to <scratch>/sites/pelican and gives the content,
output and cache paths on the command line (pelican CORPUS -s this file -o OUT
--cache-path CACHE), so nothing here names a machine path. The content cache
is on when PEERBENCH_CACHE=1 (the no-change and one-edit modes).
"""

import os

_HERE = os.path.dirname(os.path.abspath(__file__))

SITENAME = "feedpub peer bench"
SITEURL = "https://example.org"
AUTHOR = "bench"
TIMEZONE = "UTC"  # naive datetimes in front matter are read as UTC
DEFAULT_LANG = "en"

# ---- input ---------------------------------------------------------------
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = []
STATIC_PATHS = []
THEME_STATIC_PATHS = []
SLUGIFY_SOURCE = "basename"  # slug = file name; an explicit `slug:` wins
FILENAME_METADATA = r"(?P<slug>.*)"
USE_FOLDER_AS_CATEGORY = False
# With CATEGORY_SAVE_AS = "" Pelican assigns no default category, and then
# crashes on drafts (generate_drafts reads draft.category): give one here.
DEFAULT_METADATA = {"category": "posts"}

# YAML front matter (title/date/tags/draft/summary/slug) needs the official
# pelican-yaml-metadata plugin; draft_flag maps `draft: true` to
# status=draft (Pelican only knows `status:`).
PLUGIN_PATHS = [os.path.join(_HERE, "plugins")]
PLUGINS = ["pelican.plugins.yaml_metadata", "draft_flag"]

# Python-Markdown's `extra` (tables, footnotes, fenced code, attr_list, abbr,
# def lists) and no syntax highlighting (Pelican's default adds codehilite,
# i.e. Pygments; feedpub and Hugo highlight nothing either).
MARKDOWN = {
    "extension_configs": {"markdown.extensions.extra": {}},
    "output_format": "html5",
}

# Drafts and future-dated posts are unpublished.
WITH_FUTURE_DATES = False

# ---- output: feeds only --------------------------------------------------
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
FEED_ATOM = None
FEED_RSS = None
TAG_FEED_ATOM = "feeds/tags/{slug}.atom.xml"
TAG_FEED_RSS = "feeds/tags/{slug}.rss.xml"
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
FEED_MAX_ITEMS = None  # every published post in every feed
RSS_FEED_SUMMARY_ONLY = False  # full content in RSS too

ARTICLE_URL = "posts/{slug}/"
TAG_URL = "tags/{slug}/"
ARTICLE_SAVE_AS = ""
ARTICLE_LANG_SAVE_AS = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_SAVE_AS = ""
PAGE_SAVE_AS = ""
PAGE_LANG_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
TAG_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = ""
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""
INDEX_SAVE_AS = ""
DIRECT_TEMPLATES = []
PAGINATED_TEMPLATES = {}
DELETE_OUTPUT_DIRECTORY = False

# ---- content cache (no-change and one-edit modes) -------------------------
_cache = os.environ.get("PEERBENCH_CACHE") == "1"
CACHE_CONTENT = _cache
LOAD_CONTENT_CACHE = _cache
CONTENT_CACHING_LAYER = "reader"  # "generator" conflicts with WITH_FUTURE_DATES
CHECK_MODIFIED_METHOD = "mtime"
