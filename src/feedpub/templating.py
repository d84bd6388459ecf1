"""Jinja2 environments: the user's templates first, the package's as fallback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedpub.errors import TemplateError, shorten

if TYPE_CHECKING:
    import jinja2

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


def environment(user_dir: Path, kind: str, autoescape: bool = True) -> jinja2.Environment:
    """Templates of `kind` (site, email) from `user_dir/kind`, then the package's."""
    import jinja2  # heavy: a build that renders no template never needs it

    loader = jinja2.FileSystemLoader([str(user_dir / kind), str(PACKAGE_TEMPLATES / kind)])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml", "xsl"]) if autoescape else False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda value, fmt="%Y-%m-%d": value.strftime(fmt)
    return env


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render template `name`; errors name the template file and line."""
    import jinja2

    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.filename or exc.name or name, exc.lineno,
                            exc.message or "") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(*_location(exc, name), shorten(str(exc))) from None
    except _NOT_JINJAS as exc:  # a value an expression or filter cannot use: {{ 1 / 0 }}
        raise TemplateError(*_location(exc, name),
                            f"{type(exc).__name__}: {shorten(str(exc))}") from None


def render_string(env: jinja2.Environment, source: str, where: str, **context: Any) -> str:
    """Render a template given as text (a config value); errors name `where`."""
    import jinja2

    try:
        return env.from_string(source).render(**context)
    except (jinja2.TemplateError, *_NOT_JINJAS) as exc:
        raise TemplateError(where, 0, shorten(str(exc))) from None


_NOT_JINJAS = (ArithmeticError, AttributeError, LookupError, TypeError, ValueError)


def _location(exc: BaseException, name: str) -> tuple[str, int]:
    """The template file and line a runtime error happened on, from the traceback."""
    tb = exc.__traceback__
    where: tuple[str, int] = (name, 0)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".txt", ".xml", ".xsl", ".j2")):
            where = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return where
