"""The newsletter: the posts since the last digest, as email and web page.

plan (which posts, and why) -> email (HTML with CSS inlined, text, .eml) -> archive
(every digest: a page and a feed); make (plan, render, record, write; restore);
schedule (which cron slot is due). A digest takes its posts from its caller and
never builds.
"""
