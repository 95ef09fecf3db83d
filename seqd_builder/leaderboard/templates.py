"""The two jinja2 environments of the leaderboard, both over ``leaderboard/templates/``.

- HTML: autoescape on for every template, ``StrictUndefined`` (a missing value is an error, not an
  empty cell).
- Markdown: Markdown has no autoescaping, so every ``{{ expression }}`` passes through
  :func:`md_escape` by the environment's ``finalize`` hook: a template cannot forget it. Literal
  template text (the table's pipes) is not touched.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import jinja2
import markupsafe

from ..assets import asset_dir

_MD_SPECIAL = set("\\`*_{}[]()#+!|~")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def template_dir() -> Path:
    return asset_dir("leaderboard", "templates")


def md_escape(value: object) -> str:
    """``value`` as literal text inside a Markdown table cell (GitHub and Hugging Face flavour).

    HTML-significant characters become entities (Markdown passes raw HTML through), Markdown syntax
    characters get a backslash, line breaks become spaces (a break would end the table row), and
    control, format and bidirectional characters are shown as ``<U+XXXX>`` (except the zero-width
    joiners that Persian and Indic spelling need).
    """
    out = []
    for ch in "" if value is None else str(value):
        if ch in _MD_ENTITIES:
            out.append(_MD_ENTITIES[ch])
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        elif ch in "\r\n\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in "\u200c\u200d":
            # invisible or direction-changing: shown as its code point, so it cannot disguise a name
            out.append(f"&lt;U+{ord(ch):04X}&gt;")
        else:
            out.append(ch)
    return "".join(out)


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def inline_code(value: object) -> markupsafe.Markup:
    """Task prose for HTML: escaped first, then each `` `span` `` of the YAML text as ``<code>``.

    Task descriptions are written in Markdown's habit (`` `seqd demo` ``); shown as plain text the
    backticks appeared literally on the pages. Escaping comes first, so a span can only ever become
    the code element around text that is already escaped.
    """
    escaped = str(markupsafe.escape("" if value is None else value))
    return markupsafe.Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))


@lru_cache(maxsize=4)
def html_environment(folder: Path | None = None) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder or template_dir())),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["inline_code"] = inline_code
    return env


@lru_cache(maxsize=4)
def markdown_environment(folder: Path | None = None) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder or template_dir())),
                              autoescape=False, finalize=md_escape, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
