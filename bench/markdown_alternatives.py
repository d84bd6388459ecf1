"""Speed + equivalence of Markdown renderers vs Python-Markdown (extra, sane_lists, html).
Not part of feedpub or its tests: a one-off measurement for issue 5, kept to reproduce it.

    python3 -m venv /tmp/mdalt/venv
    /tmp/mdalt/venv/bin/pip install "markdown==3.11.*" markdown-it-py mdit-py-plugins \
        mistune cmarkgfm lxml
    /tmp/mdalt/venv/bin/python bench/markdown_alternatives.py [posts_dir]
"""

# ruff: noqa: E402, E501, SIM115, UP031

import collections
import glob
import os
import re
import statistics
import sys
import time
from importlib.metadata import version

POSTS = sys.argv[1] if len(sys.argv) > 1 else "/tmp/feedpub-bench/corpora/n1000/posts"


def body(text):
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return "\n".join(lines[i + 1 :])
    return text


files = sorted(glob.glob(os.path.join(POSTS, "*.md")))
docs = [body(open(f, encoding="utf-8").read()) for f in files]
print(f"{len(docs)} posts from {POSTS}, {sum(map(len, docs)) / 1e6:.2f} M chars")


# ---- renderers -------------------------------------------------------------
def make_pymd():
    import markdown
    from markdown.extensions.extra import ExtraExtension
    from markdown.extensions.sane_lists import SaneListExtension

    md = markdown.Markdown(extensions=[ExtraExtension(), SaneListExtension()], output_format="html")

    def render(s):
        try:
            return md.convert(s)
        finally:
            md.reset()

    return render


def make_mdit():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.attrs import attrs_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = (
        MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .use(footnote_plugin)
        .use(deflist_plugin)
        .use(attrs_plugin)
    )
    return md.render


def make_mistune():
    import mistune

    md = mistune.create_markdown(
        escape=False, plugins=["table", "footnotes", "def_list", "abbr", "strikethrough"]
    )
    return md


def make_cmarkgfm():
    import cmarkgfm
    from cmarkgfm.cmark import Options

    opts = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
    return lambda s: cmarkgfm.markdown_to_html_with_extensions(
        s, options=opts, extensions=["table"]
    )


RENDERERS = [
    ("Python-Markdown", "markdown", make_pymd),
    ("markdown-it-py", "markdown-it-py", make_mdit),
    ("mistune", "mistune", make_mistune),
    ("cmarkgfm", "cmarkgfm", make_cmarkgfm),
]

# ---- canonical form --------------------------------------------------------
import lxml.html

BLOCK = set(
    ["address", "article", "aside", "blockquote", "details", "dialog", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "ul", "iframe", "sup", "section"]
)
WS = re.compile(r"\s+")


def lenient_fix(root):
    """Second pass only: drop footnote definitions block, reduce footnote refs to a marker,
    unify table alignment (style="text-align: x" / align="x")."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        cls = el.get("class", "")
        if (el.tag in ("div", "section") and "footnote" in cls) or (
            el.tag == "hr" and "footnotes-sep" in cls
        ):
            parent = el.getparent()
            parent.remove(el)
            continue
        if el.tag == "sup" and ("footnote-ref" in cls or el.get("id", "").startswith("fnref")):
            for c in list(el):
                el.remove(c)
            el.attrib.clear()
            el.text = "FN"
        if el.tag in ("td", "th"):
            m = re.search(r"text-align:\s*(\w+)", el.get("style", ""))
            a = el.get("align") or (m.group(1) if m else None)
            el.attrib.pop("style", None)
            el.attrib.pop("align", None)
            if a:
                el.set("align", a)
    return root


LENIENT = False


def canon(html):
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    if LENIENT:
        lenient_fix(root)
    toks = []

    def text(t, inpre):
        if t:
            toks.append(("T", t if inpre else WS.sub(" ", t), inpre))

    def walk(el, inpre):
        if not isinstance(el.tag, str):  # comments etc.
            toks.append(("C", str(el.text or "").strip()))
            text(el.tail, inpre)
            return
        attrs = tuple(sorted(el.attrib.items()))
        toks.append(("S", el.tag, attrs))
        p = inpre or el.tag == "pre"
        text(el.text, p)
        for c in el:
            walk(c, p)
        toks.append(("E", el.tag))
        text(el.tail, inpre)

    walk(root, False)
    # merge adjacent text, strip whitespace next to block boundaries
    out = []
    for t in toks:
        if t[0] == "T" and out and out[-1][0] == "T":
            out[-1] = ("T", out[-1][1] + t[1], out[-1][2])
        else:
            out.append(t)
    res = []
    for i, t in enumerate(out):
        if t[0] == "T" and not t[2]:
            s = t[1]
            prev = out[i - 1] if i else None
            nxt = out[i + 1] if i + 1 < len(out) else None
            if prev is None or (prev[0] in "SE" and prev[1] in BLOCK) or prev[1] == "div":
                s = s.lstrip()
            if nxt is None or (nxt[0] in "SE" and nxt[1] in BLOCK) or nxt[1] == "div":
                s = s.rstrip()
            if s:
                res.append(("T", s))
        elif t[0] == "T":
            res.append(("T", t[1].rstrip("\n")))  # trailing newline inside <pre> ignored
        else:
            res.append(t)
    return res


def fmt(t):
    if t is None:
        return "<end>"
    if t[0] == "S":
        return "<{}{}>".format(t[1], "".join(f' {k}="{v}"' for k, v in t[2]))
    if t[0] == "E":
        return f"</{t[1]}>"
    if t[0] == "C":
        return f"<!--{t[1]}-->"
    return repr(t[1][:70])


def classify(a, b, ctx):
    """a: reference token, b: alternative token; ctx: enclosing tags in reference."""
    ta = fmt(a)
    tb = fmt(b)
    both = ta + " " + tb + " " + " ".join(ctx)
    if "fn" in both and (
        "footnote" in both or "fnref" in both or 'class="footnote' in both or "sup" in both
    ):
        return "footnotes markup"
    if a and b and a[0] == b[0] == "S" and a[1] == b[1] and a[1] in ("td", "th"):
        return "table cell alignment attrs"
    if a and b and a[0] == b[0] == "S" and a[1] == b[1] == "code":
        return "code block class (language-x)"
    if (
        "pre" in ctx
        or (a and a[0] == "S" and a[1] == "pre")
        or (b and b[0] == "S" and b[1] == "pre")
    ):
        return "code block content/markup"
    if "table" in ctx:
        return "table structure"
    if any(c in ("details", "figure", "iframe") for c in ctx) or (
        a and a[0] == "S" and a[1] in ("details", "figure", "div")
    ):
        return "raw HTML block / markdown inside HTML"
    if a and b and a[0] == b[0] == "T":
        return "inline text (escaping/entities/emphasis parsing)"
    return f"structure: {ta[:30]} vs {tb[:30]}"


def first_diff(ra, rb):
    ctx = []
    for i in range(max(len(ra), len(rb))):
        a = ra[i] if i < len(ra) else None
        b = rb[i] if i < len(rb) else None
        if a != b:
            return i, a, b, list(ctx)
        if a[0] == "S":
            ctx.append(a[1])
        elif a[0] == "E" and ctx:
            ctx.pop()
    return None


# ---- run ---------------------------------------------------------------------
results = {}
outputs = {}
for name, dist, factory in RENDERERS:
    try:
        render = factory()
    except Exception as e:
        print(f"{name}: unavailable ({e!r})")
        continue
    outputs[name] = [render(d) for d in docs]  # warm-up, output kept
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        for d in docs:
            render(d)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    results[name] = (version(dist), med, times)
    print(
        f"{name} {version(dist)}: runs {[f'{t:.3f}' for t in times]} median {med:.3f}s", flush=True
    )

ref = [canon(h) for h in outputs["Python-Markdown"]]
base = results["Python-Markdown"][1]
summary = {}
for LENIENT in (False, True):
    print(
        "\n########## %s comparison"
        % ("LENIENT (footnote markup + table align normalised away)" if LENIENT else "STRICT")
    )
    ref = [canon(h) for h in outputs["Python-Markdown"]]
    for name in outputs:
        if name == "Python-Markdown":
            continue
        eq = 0
        kinds = collections.Counter()
        ex = {}
        alltypes = collections.Counter()
        for idx, (r, h) in enumerate(zip(ref, outputs[name], strict=False)):
            c = canon(h)
            if c == r:
                eq += 1
                continue
            # count all distinct diff kinds in this post (scan a few diffs via difflib on tokens)
            import difflib

            sm = difflib.SequenceMatcher(None, r, c, autojunk=False)
            seen = set()
            for op, i1, i2, j1, j2 in sm.get_opcodes():
                if op == "equal":
                    continue
                ctx = []
                for t in r[:i1]:
                    if t[0] == "S":
                        ctx.append(t[1])
                    elif t[0] == "E" and ctx:
                        ctx.pop()
                a = r[i1] if i1 < i2 else None
                b = c[j1] if j1 < j2 else None
                k = classify(a, b, ctx)
                alltypes[k] += 1
                if k not in seen:
                    seen.add(k)
                    kinds[k] += 1
                    ex.setdefault(
                        k,
                        (
                            os.path.basename(files[idx]),
                            " ".join(fmt(t) for t in r[i1 : i1 + 4])[:160],
                            " ".join(fmt(t) for t in c[j1 : j1 + 4])[:160],
                        ),
                    )
        summary[(name, LENIENT)] = (eq, kinds, ex)
        v, med, _ = results[name]
        print(f"\n== {name}: equivalent {eq}/{len(docs)}")
        for k, n in kinds.most_common(8):
            f, a, b = ex[k]
            print(
                f"  {n:4d} posts  {k}  ({alltypes[k]} hunks)\n        e.g. {f}\n          pymd: {a}\n          alt : {b}"
            )

print(
    "\nrenderer | version | total s | ms/post | speed vs Python-Markdown | equivalent strict /%d | lenient"
    % len(docs)
)
for name, (v, med, _) in results.items():
    eq = summary[(name, False)][0] if (name, False) in summary else len(docs)
    eq2 = summary[(name, True)][0] if (name, True) in summary else len(docs)
    print(
        f"{name} | {v} | {med:.2f} | {med * 1000 / len(docs):.2f} | {base / med:.1f}x | {eq} | {eq2}"
    )
