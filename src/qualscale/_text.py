"""Text for people: did-you-mean, plurals, one-line cleaning, Markdown escaping, wrapping.

One home for each: the renderer, the CLI and the pytest plugin all write through
these, so a title cannot escape its Markdown cell in one place and not another.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import textwrap

#: The width of plain-text output.
TEXT_WIDTH = 100

#: Bidirectional formatting marks: they reorder what a reader sees (U+202E turns
#: ``txt.exe`` around) and cannot be seen themselves.
BIDI_MARKS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Patterns, not compiled ones: ``re`` compiles each on first use (and caches it), so
# importing this module - which every command does - compiles none of them.
_CONTROL = f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{BIDI_MARKS}]"
_UNSEEN = f"[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029{BIDI_MARKS}]"
_BREAK = "\r\n|[\r\n\t\u2028\u2029]"
#: Each Markdown markup character, with a backslash before it.
_MD_ESCAPES = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<|~"})


def visible(text: str) -> str:
    """``text`` with control characters, line breaks and bidi marks as escapes (``\\x1b``).

    The one escaping of user text echoed in messages (standard error, ``str`` of a
    problem): nothing can move the cursor, colour the terminal, reorder the line,
    or start a line of its own.
    """
    return re.sub(_UNSEEN, _escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or ``""``."""
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def count(n: int, one: str, many: str | None = None) -> str:
    """``1 path``, ``2 paths``: ``n`` with the noun in the right number."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def one_line(value: object) -> str:
    """``value`` as one line: line breaks and tabs become spaces; control and bidi marks go."""
    # Newlines in a title would break the document's structure (a "- [x]" after
    # one would be a ticked box); escape sequences in text output would reach the
    # terminal. U+2028 and U+2029 end lines for some readers (and str.splitlines).
    text = str(value)
    if text.isprintable():  # no break, tab, control or bidi mark (each is unprintable)
        return text
    return re.sub(_CONTROL, "", re.sub(_BREAK, " ", text))


def md(value: object) -> str:
    """``value`` as one line of inline Markdown text: markup characters escaped."""
    return one_line(value).translate(_MD_ESCAPES)


def code(value: object) -> str:
    """``value`` as a Markdown code span (safe in table cells too)."""
    text = one_line(value).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


@functools.cache
def _wrapper_class() -> Any:
    import textwrap  # compiles its patterns on import: only the text formats need it

    class _Wrapper(textwrap.TextWrapper):
        """``textwrap`` that breaks an over-long word in one pass: linear in its length.

        ``TextWrapper`` cuts one line off a word that does not fit and copies the rest,
        again and again - quadratic in the word (a 5 MB title took seconds). This cuts
        every line of the word at once, into the same lines.
        """

        def __init__(
            self, width: int, initial_indent: str = "", subsequent_indent: str = "", **more: Any
        ) -> None:
            super().__init__(
                width=width,
                initial_indent=initial_indent,
                subsequent_indent=subsequent_indent,
                **{"break_on_hyphens": False, **more},
            )

        def _handle_long_word(
            self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
        ) -> None:
            chunk = reversed_chunks[-1]
            # Every line after this one is a continuation line of this width.
            rest = self.width - len(self.subsequent_indent)
            space_left = 1 if width < 1 else width - cur_len
            if not self.break_long_words or rest < 1 or len(chunk) <= space_left + rest:
                super()._handle_long_word(reversed_chunks, cur_line, cur_len, width)
                return
            cur_line.append(chunk[:space_left])
            pieces = [chunk[i : i + rest] for i in range(space_left, len(chunk), rest)]
            reversed_chunks[-1:] = reversed(pieces)

    return _Wrapper


def _wrapper(
    width: int, initial_indent: str = "", subsequent_indent: str = "", **more: Any
) -> textwrap.TextWrapper:
    """A ``textwrap.TextWrapper`` (``more``: its options) that breaks long words in linear time."""
    wrapper: textwrap.TextWrapper = _wrapper_class()(
        width, initial_indent, subsequent_indent, **more
    )
    return wrapper


linear_wrapper = _wrapper


def hang(value: object, first: str, rest: str, width: int = TEXT_WIDTH) -> str:
    """``value`` wrapped to ``width`` columns after ``first`` on the first line, ``rest`` after.

    ``hang("S3 Extended", "Standard    ", " " * 12)`` puts a label before the text and
    lines up the continuation under it.
    """
    text = one_line(value)
    if not text.strip():
        return first.rstrip()
    return _wrapper(width, first, rest).fill(text)


def wrap(
    value: object, indent: int = 0, hanging: int | None = None, width: int = TEXT_WIDTH
) -> str:
    """``value`` wrapped to ``width`` columns; first line indented ``indent``, then ``hanging``."""
    rest = indent if hanging is None else hanging
    return hang(value, " " * indent, " " * rest, width)


def table(
    rows: Iterable[Sequence[object]],
    indent: int = 2,
    width: int = TEXT_WIDTH,
    right: Iterable[int] = (),
) -> str:
    """Rows as aligned plain-text columns; the last column wraps to keep within ``width``.

    The columns numbered in ``right`` (from 0, not the last one) are right-aligned.
    """
    to_right = set(right)
    cells = [[one_line(c) for c in row] for row in rows]
    if not cells:
        return ""
    n = max(len(row) for row in cells)
    cells = [row + [""] * (n - len(row)) for row in cells]
    widths = [max(len(row[i]) for row in cells) for i in range(n - 1)]
    lead = indent + sum(w + 2 for w in widths)
    if lead > width - 20:  # too wide to align: one cell a line instead
        return "\n\n".join(
            "\n".join(wrap(c, indent + (2 if i else 0)) for i, c in enumerate(row) if c)
            for row in cells
        )
    lines = []
    for row in cells:
        head = " " * indent + "".join(
            (c.rjust(w) if i in to_right else c.ljust(w)) + "  "
            for i, (c, w) in enumerate(zip(row, widths, strict=False))
        )
        if not row[-1]:
            lines.append(head.rstrip())
            continue
        body = _wrapper(width - lead).wrap(row[-1]) or [""]
        lines.append(head + body[0])
        lines.extend(" " * lead + more for more in body[1:])
    return "\n".join(lines)
