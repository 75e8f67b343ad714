"""Markdown that the shop's own data cannot break: the one escaping helper every Markdown writer
uses (the playbook, ``personas.md``), and the renderer ``playbook --format html`` uses.

Imported text — a search term, a page path, a survey answer, a persona quote — lands in these
documents. Left as it is, ``<script>`` in a search term became a script in the playbook's HTML,
``|`` would split a table cell and a backtick or ``*`` would swallow the rest of the line into
code or emphasis. So every piece of text is escaped (:func:`escape`), the report's own commands
are set as code spans (:func:`code`), and the HTML rendering never passes raw HTML through
(:func:`to_html`), so even an unescaped writer cannot inject markup.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

#: the characters that start inline Markdown (code, emphasis, links, raw HTML, entities,
#: table cells, GitHub strikethrough, headings' closing hashes), and the backslash itself
_INLINE = re.compile(r"([\\`*_\[\]<>|~&#])")
#: what makes a line a list item or a rule when it starts it (``#`` and ``>`` are escaped
#: everywhere): a ``-`` or ``+``, or a number followed by ``.`` or ``)`` and a space
_BLOCK_START = re.compile(r"^(\s*(?:\d{1,9}(?=[.)](?:\s|$)))?)([-+.)])")


def escape(value: Any) -> str:
    """``value`` as Markdown text that reads as itself: every character that could start
    markup is backslash-escaped (CommonMark and GitHub both read ``\\x`` as ``x``), line
    breaks become spaces (a newline in a search term must not start a heading or a list), and
    a leading ``-``, ``+``, ``>`` or ``1.`` cannot turn the line into a list or a quote."""
    text = " ".join(str(value).splitlines())
    text = _INLINE.sub(r"\\\1", text)
    return _BLOCK_START.sub(r"\1\\\2", text, count=1)


def code(value: Any) -> str:
    """``value`` as a code span that holds any text: the fence is one backtick longer than the
    longest run inside (CommonMark's rule), and padded when the text touches a backtick."""
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def with_commands(text: Any) -> str:
    """The report's own sentence, whose `backticked` parts are commands (``shopperlens import
    orders FILE``, an audience expression): those become code spans, the rest is escaped.

    The playbook's evidence is written this way for the CLI and the page alike
    (``reports.site._ticks`` sets the same parts as ``<code>``); the shop's data inside it is
    passed through :func:`datum` so it cannot open or close a command."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: nothing is a command
        return escape(text)
    return "".join(code(p) if i % 2 else escape(p) for i, p in enumerate(parts))


def datum(value: Any) -> str:
    """A value of the shop's data for a sentence whose backticks mark commands: its own
    backticks become ``'`` (a search term with a backtick would otherwise turn the rest of the
    line into a command). Everything else stays as imported; the writers escape it."""
    return str(value).replace("`", "'")


@cache
def _renderer() -> Any:
    # rich depends on markdown-it-py, so it is always installed
    from markdown_it import MarkdownIt

    # CommonMark with raw HTML off: a tag in the text is shown as text, never run
    return MarkdownIt("commonmark", {"html": False})


def to_html(markdown: str) -> str:
    """``markdown`` as HTML, with any raw HTML in it shown as text (never passed through)."""
    return str(_renderer().render(markdown))
