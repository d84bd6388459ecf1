#!/usr/bin/env python3
"""A synthetic blog for feedpub's tests and benchmarks: Markdown posts with YAML front matter.

    python tests/corpus.py --n N --out DIR [--seed S] [--broken K]
                           [--future-from YYYY-MM-DD] [--manifest FILE] [--clean]

or `from tests.corpus import make_corpus`. Standard library only; the same arguments give
the same bytes on any machine. Post i comes from its own random stream (seed, i), so the
n=1000 corpus is the first 1000 posts of the n=10000 one; only its file name and title also
depend on earlier posts (`-2`, `-3` on a slug collision, a redrawn title on a title one),
and it links to earlier posts only. The manifest says what feedpub should see: per post
file, slug, title, date, tags, draft, future and bytes; the broken files; expected counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

# About 60 tags, a few spelled as people write them (feedpub must slug them with care).
_TAG_NAMES = """python rust go javascript typescript web css html devops docker kubernetes linux
databases postgresql sqlite performance testing security cryptography networking cloud aws
data-science statistics open-source career productivity writing design accessibility mobile
android ios embedded hardware raspberry-pi electronics photography travel cooking books music
gaming science math history privacy self-hosting homelab git vim emacs shell api graphql
architecture tutorial release-notes"""
TAGS = _TAG_NAMES.split()
TAGS[22:22] = ["machine learning"]
TAGS += ["C++", "Node.js", "résumé"]
TAG_WEIGHTS = [1 / (rank + 1) ** 0.85 for rank in range(len(TAGS))]  # Zipf-like

_WORD_TEXT = """the of and to in is that it for on with as was by this be are from at or an have
not but which one all their they can has more when who will about if into than only other
some time could them these may then first like now over such also most after use well way
even new because good each just people system data code file build release test server
client cache queue latency memory thread process request response user feature bug patch
commit branch merge review deploy config schema index query table row value key hash token
stream buffer socket module package library compiler runtime kernel driver container
cluster service endpoint route handler template parser grammar type trait interface
function method closure iterator coroutine promise callback event loop signal mutex lock
channel pipeline batch worker scheduler backup snapshot disk network benchmark profile
trace metric dashboard incident outage weekend coffee morning garden kitchen bicycle train
river city notebook keyboard window quickly slowly carefully simply really probably
finally honestly nearly always never often small large fast slow simple robust fragile
stable flaky legacy clean messy elegant subtle cheap expensive"""
WORDS = _WORD_TEXT.split()
UNICODE = ["naïve", "café", "façade", "jalapeño", "Zürich", "São Paulo", "smörgåsbord",
           "déjà vu", "Kraków", "日本語", "中文", "привет", "Ελληνικά", "λ-calculus", "µs",
           "≈", "→", "½", "Straße", "résumé", "piñata", "Ærøskøbing"]
EMOJI = ["🚀", "🎉", "🦀", "🐍", "✨", "🔥", "📦", "☕", "👩‍💻", "🇩🇪", "🧵", "🐛", "💡",
         "⚠️", "✅", "🤔", "👍🏽", "🏳️‍🌈"]
TECH = ["Python", "Rust", "Go", "TypeScript", "PostgreSQL", "SQLite", "Docker", "Kubernetes",
        "Linux", "Vim", "Emacs", "Git", "WebAssembly", "Redis", "Nginx", "GraphQL", "the JVM",
        "C++", "Node.js", "Bash", "Raspberry Pi", "systemd", "ZFS", "htmx", "Django", "React",
        "Zig", "Elixir", "Haskell", "OCaml", "Lua", "Kotlin", "Swift", "Deno", "FreeBSD"]
VOCAB = WORDS * 10 + UNICODE * 2 + TECH
TOPICS = ["caching", "error handling", "logging", "testing", "deployments", "code review",
          "on-call", "estimates", "naming things", "migrations", "backups", "observability",
          "type systems", "build times", "dependency hell", "remote work", "note-taking",
          "sourdough", "film photography", "trail running", "home networking", "feeds",
          "keyboard layouts", "static sites", "newsletters", "time zones", "unicode",
          "packaging", "concurrency", "search", "accessibility", "profiling", "retries"]
TITLES = [
    "Why I switched from {t1} to {t2}", "{n} lessons from a year of {topic}",
    "Notes on {topic}: part {k}", "Q&A: {topic} with {t1}", "{t1} & {t2}: a practical guide",
    '"{topic}" considered harmful', "It's not {topic}, it's {t1}",
    "What I learned shipping {t1} to production {emoji}", "A week with {t1} and {topic} {emoji}",
    "{t1} tips & tricks for {topic} (that actually work)", "Don’t “just” use {t1} for {topic}",
    "Vec<T> vs &[T]: {topic} in {t1}", "Café notes — {topic} in {uword}",
    "{uword}: {topic} with {t1}, revisited", "Release notes {y}.{k}.{n}",
    "The {adj} guide to {topic} in {t1}", "How we cut {topic} latency by {n}% 📉",
    "#{n}: weekly links on {topic}", "On {topic} & the art of {topic2}",
    "“{t1}” isn't the problem with {topic}", "{t1} 101 — {topic} for the impatient",
    "Debugging {topic} in {t1} at {k} a.m.", "{n} things nobody tells you about {topic}",
    "A tale of two {t1} configs: 'before' & 'after' ({y})", "Reading list: {topic} ({y})",
    "<{t1}> and {topic}: when a < b & b > c", "{t1} + {t2} = {emoji}",
    "Ask me anything about {topic} 🙋", "{topic} in {t1}, {topic2} in {t2}",
]
ADJ = ["definitive", "incomplete", "pragmatic", "lazy", "opinionated", "unofficial", "short",
       "very long", "accidental", "boring"]
AUTHORS = ["Ada Lovelace", "Grace Hopper", "José Núñez", "Zoë O'Brien", "李雷",
           "Søren Kierkegaard-Jensen", "Ørjan Ødegård"]
DOMAINS = ["example.com", "example.org", "docs.example.net", "en.wikipedia.org", "github.com"]
CODE_SPANS = ["x = 1", "None", "git rebase -i", "&mut self", "a < b && c > d", "--force",
              "O(n log n)", "<div>", "SELECT *", "it's", '"quoted"', "a|b"]
INLINE_HTML = ["<kbd>Ctrl</kbd>+<kbd>C</kbd>", '<abbr title="as far as I know">AFAIK</abbr>',
               "H<sub>2</sub>O", "x<sup>2</sup>", "<mark>note</mark>", "<br>",
               '<span class="todo">TODO</span>', "&amp;", "&copy;", "&mdash;", "AT&T",
               "a < b", "1 > 0", "R&D", "&#x1F600;"]
CODE = {  # language -> lines to draw from; {a}, {b} become identifiers
    "python": ["def {a}({b}):", "    return {b} < 10 and {b} != 'x'", "{a} = {{'k': \"v&w\"}}",
               "# {a} & {b}", "if {a} <= {b}:", "    print(f\"<{a}>\")"],
    "javascript": ["const {a} = await fetch(`/api/{b}?x=1&y=2`);", "if ({a} && !{b}) {{",
                   "}}", "export const {a} = ({b}) => {b} <= 0;", "// {a} <-> {b}"],
    "bash": ['{a}=$(ls -1 "${{{b}}}" | wc -l)', 'if [ -f "{a}.txt" ]; then', "fi",
             "curl -fsSL https://example.com/{a} > /tmp/{b} 2>&1"],
    "rust": ["fn {a}(&mut self, {b}: &[u8]) -> Result<usize, Error> {{", "}}",
             "let {a}: Vec<&str> = {b}.split(',').collect();", "impl<T: Clone> {a}<T> {{"],
    "go": ["func {a}({b} int) (int, error) {{", "if err != nil {{ return 0, err }}", "}}",
           "{a} := make(map[string]int)", "{a} <- {b}"],
    "sql": ["SELECT {a}, count(*) FROM {b} WHERE {a} <> '' GROUP BY 1;",
            "CREATE INDEX {a}_idx ON {b} ({a});", "-- {a} & {b}"],
    "html": ['<div class="{a}">&lt;{b}&gt; &amp; more</div>', '<a href="/{a}/?x=1&y=2">{b}</a>',
             "<!-- {a} -->", "<p>{a} & {b}</p>"],
    "yaml": ['{a}: "{b}"', "{a}:", "  - {b}", "{a}: &anchor <{b}>"],
    "toml": ["[{a}]", '{b} = "{a} & more"', "{a} = [1, 2, 3]"],
    "json": ['"{a}": "{b} <&>",', '"{a}": null,', '"{a}": [1, 2],'],
    "diff": ["- {a} = {b}", "+ {a} = {b} < 1", "  {a}"],
    "c++": ["template <typename T> T {a}(T {b}) {{", "std::vector<int> {a}{{1, 2}};", "}}",
            "#include <{a}>", "if ({a} < {b} && {b} > 0) {{ return {a}; }}"],
    "": ["$ {a} --{b} < in.txt > out.txt", "{a} & {b}"],
}
BROKEN_KINDS = ["bad-yaml", "missing-title", "bad-date", "non-utf8", "empty",
                "unclosed-front-matter"]
_SPELLED = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}


def slugify(text: str, max_length: int = 70) -> str:
    """ASCII slug in feedpub's style; a file named `<slug>.md` keeps exactly this slug."""
    text = "".join(_SPELLED.get(c, c) for c in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:max_length].strip("-")


def quoted(text: str, rng: random.Random) -> str:
    """`text` as a YAML scalar: plain when safe and the dice say so, else quoted."""
    plain = (re.fullmatch(r"[A-Za-zÀ-ÿ][^\n]*", text) and ": " not in text and " #" not in text
             and not text.endswith(":") and text.lower() not in {"yes", "no", "on", "off",
                                                                  "true", "false", "null"})
    r = rng.random()
    if plain and r < 0.5:
        return text
    if r < 0.8 or "\\" in text:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "'" + text.replace("'", "''") + "'"


def date_text(rng: random.Random, when: dt.datetime) -> tuple[str, str]:
    """(YAML value, manifest date) for a wall-clock time, in one of the shapes authors use."""
    day, clock = when.date().isoformat(), when.strftime("%H:%M:%S")
    offset = rng.choice(["+00:00", "+01:00", "+02:00", "-05:00", "-08:00", "+05:30",
                         "+09:00", "-03:30", "+12:45"])
    shape = rng.random()
    if shape < 0.22:
        return (day if shape < 0.2 else f'"{day}"'), day
    if shape < 0.40:
        text, offset = f"{day}T{clock}", "+00:00"  # naive: the site zone (UTC in the tests)
    elif shape < 0.58:
        text, offset = f"{day}T{clock}Z", "+00:00"
    elif shape < 0.78:
        text = f"{day}T{clock}{offset}"
    elif shape < 0.86:
        text = f"{day} {clock}{offset}" if rng.random() < 0.7 else f"{day} {clock}"
        offset = offset if text.endswith(offset) else "+00:00"
    elif shape < 0.94:
        text = f"{day}T{clock}.{rng.randrange(10**6):06d}"[:21 + rng.randrange(6)] + offset
    else:
        text = f'"{day}T{clock}{offset}"'
    sign = -1 if offset[0] == "-" else 1
    shift = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])) * sign
    utc = when - shift  # fractions are dropped: the feeds keep whole seconds
    return text, utc.strftime("%Y-%m-%dT%H:%M:%SZ")


class Body:
    """Markdown for one post; `earlier` are the slugs of posts before it."""

    def __init__(self, rng: random.Random, earlier: list[str]) -> None:
        self.rng, self.earlier, self.notes = rng, earlier, list[str]()
        self.max_notes = 0 if rng.random() < 0.85 else 4  # footnotes in some posts only

    def word(self) -> str:  # ~2% non-ASCII words, ~2% product names (hot path: no choice())
        return VOCAB[int(self.rng.random() * len(VOCAB))]

    def words(self, lo: int, hi: int) -> str:
        return " ".join([self.word() for _ in range(lo + int(self.rng.random() * (hi - lo + 1)))])

    def ident(self) -> str:
        return WORDS[int(self.rng.random() * len(WORDS))]

    def url(self) -> str:
        rng, r = self.rng, self.rng.random()
        if self.earlier and r < 0.45:
            slug = self.earlier[rng.randrange(len(self.earlier))]
            url = f"/posts/{slug}/" if r < 0.3 else f"../{slug}/"
            return url + (f"#{self.ident()}" if rng.random() < 0.2 else "")
        if r < 0.55:
            return f"../img/{self.ident()}.png"
        query = "?q=1&lang=en" if rng.random() < 0.15 else ""
        return f"https://{rng.choice(DOMAINS)}/{self.ident()}/{self.ident()}{query}"

    def inline(self) -> str:
        rng, r = self.rng, self.rng.random()
        if r < 0.25:
            return rng.choice(["*{}*", "**{}**", "_{}_", "***{}***"]).format(self.words(1, 3))
        if r < 0.45:
            return f"`{rng.choice(CODE_SPANS)}`"
        if r < 0.75:
            title = f' "{self.words(1, 3)}"' if rng.random() < 0.1 else ""
            return f"[{self.words(1, 4)}]({self.url()}{title})"
        if r < 0.8:
            return f"<https://{rng.choice(DOMAINS)}/{self.ident()}>"
        if r < 0.85:
            return rng.choice(EMOJI)
        if r < 0.97 or len(self.notes) >= self.max_notes:
            return rng.choice(INLINE_HTML)
        self.notes.append(self.sentence(plain=True))
        return f"[^{len(self.notes)}]"

    def sentence(self, plain: bool = False) -> str:
        rand, odds = self.rng.random, 0.0 if plain else 0.09  # odds of inline Markdown/HTML
        parts = []
        for _ in range(6 + int(rand() * 15)):  # one draw per word: this is the hot loop
            r = rand()
            parts.append(self.inline() if r < odds
                         else VOCAB[int((r - odds) / (1 - odds) * len(VOCAB))])
        text = " ".join(parts)
        return text[0].upper() + text[1:] + self.rng.choice("....?!…")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def heading(self) -> str:
        text = self.words(2, 6)
        text = text[0].upper() + text[1:]
        if self.rng.random() < 0.1:
            return f"{text}\n{self.rng.choice('=-') * max(3, len(text))}"
        anchor = f" {{#{self.ident()}}}" if self.rng.random() < 0.05 else ""
        return f"{'#' * self.rng.choice([2, 2, 3, 3, 4])} {text}{anchor}"

    def listing(self, depth: int = 0) -> str:
        rng, ordered, lines = self.rng, self.rng.random() < 0.35, []
        bullet = rng.choice("-*+")
        for k in range(rng.randint(2, 6)):
            task = rng.choice(["[ ] ", "[x] "]) if not ordered and rng.random() < 0.1 else ""
            item = self.sentence() if rng.random() < 0.5 else self.words(2, 6)
            lines.append(f"{f'{k + 1}.' if ordered else bullet} {task}{item}")
            if depth < 2 and rng.random() < 0.15:
                lines.append("    " + self.listing(depth + 1).replace("\n", "\n    "))
        return "\n".join(lines)

    def quote(self) -> str:
        text = "\n>\n".join("> " + self.paragraph() for _ in range(self.rng.randint(1, 2)))
        if self.rng.random() < 0.2:
            text += "\n>\n> > " + self.sentence()
        return text + (f"\n>\n> — {self.rng.choice(AUTHORS)}" if self.rng.random() < 0.3 else "")

    def code(self) -> str:
        rng = self.rng
        lang = rng.choice(sorted(CODE))
        lines = [rng.choice(CODE[lang]).format(a=self.ident(), b=self.ident())
                 for _ in range(rng.randint(3, 25))]
        if rng.random() < 0.1:
            return "\n".join("    " + line for line in lines)  # indented code block
        fence = "~~~" if rng.random() < 0.15 else "```"
        return f"{fence}{lang}\n" + "\n".join(lines) + f"\n{fence}"

    def table(self) -> str:
        rng, cols = self.rng, self.rng.randint(2, 5)
        cell: list[Callable[[], str]] = [
            lambda: str(rng.randint(0, 99999)), lambda: f"`{self.ident()}`",
            lambda: rng.choice(EMOJI), lambda: self.words(1, 3), lambda: "a &lt; b & c"]
        rows = [[self.words(1, 2).title() for _ in range(cols)],
                [rng.choice(["---", ":---", "---:", ":---:"]) for _ in range(cols)]]
        rows += [[rng.choice(cell)() for _ in range(cols)] for _ in range(rng.randint(2, 10))]
        return "\n".join("| " + " | ".join(row) + " |" for row in rows)

    def image(self) -> str:
        rng = self.rng
        src = rng.choice([f"../img/{self.ident()}.png", f"img/{self.ident()}.jpg",
                          f"/images/{rng.randint(2017, 2025)}/{self.ident()}.jpg",
                          f"https://cdn.example.com/{self.ident()}.webp"])
        alt = "" if rng.random() < 0.1 else self.words(1, 5)
        title = f' "{self.words(1, 4)}"' if rng.random() < 0.3 else ""
        return f"![{alt}]({src}{title})"

    def html(self) -> str:
        name = self.ident()
        return self.rng.choice([
            f'<figure>\n  <img src="../img/{name}.png" alt="{self.words(1, 3)}" width="640">\n'
            f"  <figcaption>{self.words(2, 6)} &amp; more</figcaption>\n</figure>",
            f"<details>\n<summary>{self.words(2, 5)}</summary>\n\n{self.paragraph()}\n\n</details>",
            f'<div class="note">\n<p>{self.sentence(plain=True)}</p>\n</div>',
            f'<iframe src="https://www.example.com/embed/{name}" width="560" height="315">'
            "</iframe>",
        ])

    def rule(self) -> str:
        return self.rng.choice(["---", "***", "* * *", "___"])

    def text(self, target: int) -> str:
        blocks, last = [self.paragraph()], "p"
        size = len(blocks[0].encode())
        kinds = "ppppppppphhhlllccqitrx"
        while size < target:
            kind = self.rng.choice(kinds)
            if kind == last and kind in "hr":
                continue
            make = {"p": self.paragraph, "h": self.heading, "l": self.listing, "c": self.code,
                    "q": self.quote, "i": self.image, "t": self.table, "x": self.html,
                    "r": self.rule}[kind]
            blocks.append(make())
            size += len(blocks[-1].encode()) + 2
            last = kind
        if self.notes:
            blocks.append("\n".join(f"[^{k}]: {n}" for k, n in enumerate(self.notes, 1)))
        return "\n\n".join(blocks) + "\n"


def make_title(rng: random.Random) -> str:
    t1, t2 = rng.sample(TECH, 2)
    topic, topic2 = rng.sample(TOPICS, 2)
    title = rng.choice(TITLES).format(
        t1=t1, t2=t2, topic=topic, topic2=topic2, n=rng.randint(2, 99), k=rng.randint(1, 12),
        y=rng.randint(2017, 2025), emoji=rng.choice(EMOJI), uword=rng.choice(UNICODE),
        adj=rng.choice(ADJ))
    title = title[0].upper() + title[1:]
    return title + " " + rng.choice(EMOJI) if rng.random() < 0.05 else title


def make_post(seed: int, i: int, earlier: list[str], used_slugs: set[str],
              used_titles: set[str], future_from: dt.date) -> tuple[dict[str, Any], bytes]:
    """Post i: its manifest entry and its bytes. Adds its slugs and title to the sets."""
    rng = random.Random(f"feedpub-corpus/{seed}/{i}")
    title, attempt = make_title(rng), 0
    while title in used_titles:  # redraw from a side stream: the rest of the post is unchanged
        attempt += 1
        title = make_title(random.Random(f"feedpub-corpus/{seed}/{i}/title/{attempt}"))
    used_titles.add(title)
    base = slugify(title) or "post"
    stem, k = base, 2
    while stem in used_slugs:
        stem, k = f"{base}-{k}", k + 1
    used_slugs.add(stem)
    slug = stem
    if rng.random() < 0.10:
        base = f"{slugify(' '.join(title.split()[:3])) or 'post'}-{i}"
        slug, k = base, 2
        while slug in used_slugs:
            slug, k = f"{base}-{k}", k + 1
        used_slugs.add(slug)

    future = rng.random() < 0.02
    if future:
        when = dt.datetime.combine(future_from, dt.time()) + dt.timedelta(
            days=rng.randrange(365), seconds=rng.randrange(86400))
    else:  # 2017-2025, denser in recent years
        day = dt.date(2017, 1, 1) + dt.timedelta(days=int(3286 * math.sqrt(rng.random())))
        when = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randrange(86400))
    date_yaml, date = date_text(rng, when)
    draft = rng.random() < 0.05
    tags: list[str] = []
    for _ in range(rng.choices([1, 2, 3, 4, 5], [20, 30, 25, 15, 10])[0]):
        tag = rng.choices(TAGS, TAG_WEIGHTS)[0]
        if tag not in tags:
            tags.append(tag)

    writer = Body(rng, earlier)
    summary = " ".join(writer.sentence() for _ in range(rng.choice([1, 1, 1, 2])))
    summary = re.sub(r" ?\[\^\d+\]", "", summary)  # no footnote references in a summary
    writer.notes = []
    body = writer.text(int(min(59000, max(600, 4500 * math.exp(rng.gauss(0, 0.75))))))

    front = [f"title: {quoted(title, rng)}", f"date: {date_yaml}"]
    if slug != stem:
        front.append(f"slug: {slug}")
    if rng.random() < 0.5:
        flow = [f"'{t}'" if rng.random() < 0.1 else t for t in tags]
        front.append(f"tags: [{', '.join(flow)}]")
    else:
        front += ["tags:"] + [f"  - {t}" for t in tags]
    if draft or rng.random() < 0.7:
        front.append(f"draft: {'true' if draft else 'false'}")
    cut = summary.find(" ", len(summary) // 2)
    if rng.random() < 0.15 and len(summary) > 60 and cut > 0:
        front += ["summary: >-", f"  {summary[:cut]}", f"  {summary[cut + 1:]}"]
    else:
        front.append(f"summary: {quoted(summary, rng)}")
    if rng.random() < 0.8:
        front.append(f"author: {quoted(rng.choice(AUTHORS), rng)}")
    data = ("---\n" + "\n".join(front) + "\n---\n\n" + body).encode()
    entry = {"file": f"{stem}.md", "slug": slug, "title": title, "date": date, "tags": tags,
             "draft": draft, "future": future, "bytes": len(data)}
    return entry, data


def make_broken(seed: int, j: int) -> tuple[str, str, bytes]:
    """Broken post j: (file name, kind, bytes); each gives feedpub exactly one error."""
    rng = random.Random(f"feedpub-broken/{seed}/{j}")
    kind = BROKEN_KINDS[j % len(BROKEN_KINDS)]
    body = Body(rng, []).text(1200)
    body = re.sub(r"(?m)^-{3,}[ \t]*$", "***", body)  # no line that could close front matter
    front = {
        "bad-yaml": rng.choice(['title: "Unterminated quote\ndate: 2021-03-04\n',
                                "title: Colon: in: a plain scalar\ndate: 2021-03-04\n",
                                "title: Flow\ndate: 2021-03-04\ntags: [python, web\n",
                                "title: Tabs\ndate: 2021-03-04\ntags:\n\t- python\n"]),
        "missing-title": "date: 2022-05-06T07:08:09Z\ntags: [python]\nsummary: No title.\n",
        "bad-date": "title: Bad date {j}\ndate: {bad}\ntags: [testing]\n".format(
            j=j, bad=rng.choice(["2021-13-45", "2021-02-30T25:61:00Z", "last Tuesday",
                                 "04/03/2021", "2021-03-04T10:00:00+25:00"])),
    }
    name = f"broken-{kind}-{j + 1}.md"
    if kind in front:
        return name, kind, f"---\n{front[kind]}---\n\n{body}".encode()
    if kind == "non-utf8":
        return name, kind, (b"---\ntitle: Caf\xe9 cr\xe8me \x96 Latin-1\ndate: 2020-01-02\n---\n\n"
                            + body.encode() + b"\xff\xfe stray bytes\n")
    if kind == "empty":
        return name, kind, b""
    return name, kind, f"---\ntitle: Never closed\ndate: 2021-03-04\n\n{body}".encode()


def make_corpus(out: Path | str, n: int, seed: int = 1, broken: int = 0,
                future_from: dt.date | str = "2099-01-01", manifest: Path | str | None = None,
                clean: bool = False) -> dict[str, Any]:
    """Write the corpus into `out` (and the manifest, if asked); returns the manifest."""
    out = Path(out)
    future_from = dt.date.fromisoformat(str(future_from))
    out.mkdir(parents=True, exist_ok=True)
    existing = sorted(out.glob("*.md"))
    if existing and not clean:
        raise FileExistsError(f"{out} already holds {len(existing)} .md files (use --clean)")
    for path in existing:
        path.unlink()
    posts: list[dict[str, Any]] = []
    slugs: list[str] = []
    used_slugs: set[str] = set()
    used_titles: set[str] = set()
    for i in range(n):
        entry, data = make_post(seed, i, slugs, used_slugs, used_titles, future_from)
        (out / entry["file"]).write_bytes(data)
        posts.append(entry)
        slugs.append(entry["slug"])
    bad = []
    for j in range(broken):
        name, kind, data = make_broken(seed, j)
        (out / name).write_bytes(data)
        bad.append({"file": name, "kind": kind})
    published = [p for p in posts if not p["draft"] and not p["future"]]
    per_tag = Counter(tag for post in published for tag in post["tags"])
    sizes = sorted(p["bytes"] for p in posts) or [0]
    summary = {"seed": seed, "n": n, "future_from": future_from.isoformat(),
               "bytes_total": sum(sizes), "bytes_median": sizes[len(sizes) // 2],
               "bytes_max": sizes[-1], "drafts": sum(p["draft"] for p in posts),
               "future": sum(p["future"] for p in posts), "published": len(published),
               "tags_used": len(per_tag), "broken": len(bad)}
    result = {"summary": summary, "published_per_tag": dict(sorted(per_tag.items())),
              "posts": posts, "broken": bad}
    if manifest is not None:
        Path(manifest).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n",
                                  encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic feedpub blog corpus.")
    ap.add_argument("--n", type=int, required=True, help="number of valid posts")
    ap.add_argument("--out", required=True, help="folder for the .md files")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--broken", type=int, default=0, metavar="K",
                    help="also write K malformed posts, broken-<kind>-<k>.md")
    ap.add_argument("--future-from", default="2099-01-01", metavar="YYYY-MM-DD",
                    help="scheduled posts fall within the year after this date")
    ap.add_argument("--manifest", metavar="FILE", help="write the JSON manifest here")
    ap.add_argument("--clean", action="store_true", help="delete *.md in --out first")
    args = ap.parse_args(argv)
    try:
        result = make_corpus(args.out, args.n, args.seed, args.broken, args.future_from,
                             args.manifest, args.clean)
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result["summary"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
