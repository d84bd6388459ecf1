"""Post files to Posts: typed front matter, or problems naming file, line and field.

files (listing) -> frontmatter (one file, YAML) -> read (the folder) -> status (which
are published) -> identity (ids that never change).
"""

from feedpub.posts.files import RACY_NS, SourceFile, post_files, template_files
from feedpub.posts.frontmatter import ChangedError, load_post, parse_post, read_body
from feedpub.posts.identity import IdChange, Identity, assign_ids
from feedpub.posts.model import KnownPost, LoadResult, Post, Tag
from feedpub.posts.read import Memo, Parsed, parse_here, read_posts

__all__ = ["RACY_NS", "ChangedError", "IdChange", "Identity", "KnownPost", "LoadResult", "Memo",
           "Parsed", "Post", "SourceFile", "Tag", "assign_ids", "load_post", "parse_here",
           "parse_post", "post_files", "read_body", "read_posts", "template_files"]
