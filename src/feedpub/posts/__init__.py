"""Post files to Posts: typed front matter, or problems naming file, line and field.

files (the folder's listing, stat-ed once) -> frontmatter (one file: YAML, then fields)
-> read (the whole folder, duplicates refused) -> status (published, scheduled,
drafts) -> identity (ids that never change). model holds the values; text the
XML-safe text and slugs every stage uses.
"""
