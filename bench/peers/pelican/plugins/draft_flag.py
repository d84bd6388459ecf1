"""Map the front-matter flag `draft: true` to Pelican's `status: draft`."""

from pelican import signals


def _flag(sender, metadata):
    if metadata.get("draft") in (True, "true", "True", "yes", 1):
        metadata["status"] = "draft"


def register():
    signals.article_generator_context.connect(_flag)
