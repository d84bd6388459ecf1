"""The Markdown renderer: our instance set-up renders as the named extensions would."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest
from markdown.extensions.extra import ExtraExtension
from markdown.extensions.sane_lists import SaneListExtension

from feedpub.render.markdown import markdown_to_html

SEEDS = Path(__file__).resolve().parents[1] / "posts"  # the repo's sample posts

EVERY_EXTRA = """\
Intro with a footnote[^1] and an abbreviation: HTML.

*[HTML]: Hyper Text Markup Language

```python
print("fenced")
```

~~~
tilde fence
~~~

A heading {#custom-id .cls}
-----------------------------

Term
:   Its definition.

| a | b |
|:--|--:|
| 1 | 2 |

<div markdown="1">
*inside* an HTML block
</div>

3. starts at three
4. four

* bullet

1. a new list after a bullet list

[^1]: The note, with `code`.
"""


def _named() -> markdown.Markdown:
    """What `extensions=["extra", "sane_lists"]` builds (extra loads its parts by name)."""
    return markdown.Markdown(extensions=[ExtraExtension(), SaneListExtension()],
                             output_format="html")


def _documents() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.md"))]
    return [EVERY_EXTRA, *seeds]


@pytest.mark.parametrize("source", _documents())
def test_instances_render_like_extra_by_name(source: str) -> None:
    named = _named()
    assert markdown_to_html(source) == named.convert(source)
    # The instance is reused: nothing (footnotes, abbreviations) leaks into the next post.
    assert markdown_to_html("plain HTML[^1]") == _named().convert("plain HTML[^1]")


def test_every_extra_feature_is_rendered() -> None:
    html = markdown_to_html(EVERY_EXTRA)
    for fragment in ('class="footnote"', "<abbr", '<code class="language-python">',
                     'id="custom-id"', "<dl>", "<table>", "<em>inside</em>",
                     '<ol start="3">', "tilde fence"):
        assert fragment in html, fragment
