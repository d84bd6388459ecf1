"""A post's Markdown to HTML for feeds, pages and email; pure.

markdown (Python-Markdown, set up once) -> html (URLs made absolute, footnote ids
unique, plain text) -> post (render_post: the body and the summary, as Rendered).
"""
