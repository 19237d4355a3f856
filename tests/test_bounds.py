"""Bounded time and memory: long words, hostile templates, signals during a write."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

import qualscale
from qualscale._text import TEXT_WIDTH, hang, table, wrap
from qualscale.render import FORMATS, render_plan

WORD = "x" * 1_000_000


@pytest.fixture(scope="module")
def billing() -> qualscale.Scale:
    return qualscale.load_scale("billing-saas")


def make_plan(scale: qualscale.Scale, **delivery: Any) -> qualscale.TestPlan:
    return qualscale.plan(qualscale.Delivery.from_dict(delivery), scale)


# ------------------------------------------------------------ long words


def test_a_1mb_word_wraps_into_full_lines() -> None:
    """A 1 MB word is cut into lines of the full width, every character kept, in order."""
    lines = hang(WORD, "Title       ", " " * 12).split("\n")
    assert lines[0] == "Title       " + "x" * (TEXT_WIDTH - 12)
    assert {len(line) for line in lines[:-1]} == {TEXT_WIDTH}
    assert "".join(line[12:] for line in lines) == WORD


def test_a_1mb_word_in_the_last_column_of_a_table_wraps_under_it() -> None:
    """A 1 MB word in a table's last column wraps under that column, every character kept."""
    lines = table([["a", WORD], ["b", "short"]]).split("\n")
    assert lines[0] == "  a  " + "x" * (TEXT_WIDTH - 5)
    assert lines[-1] == "  b  short"
    assert "".join(line[5:] for line in lines[:-1]) == WORD


@pytest.mark.parametrize("format", FORMATS)
def test_a_plan_with_a_1mb_title_renders_in_every_format(
    billing: qualscale.Scale, format: str
) -> None:
    """A plan whose title is one 1 MB word renders in every format, the title whole."""
    text = render_plan(make_plan(billing, id="X-1", title=WORD), billing, format)
    if format == "text":
        assert max(len(line) for line in text.splitlines()) <= TEXT_WIDTH
        assert text.replace("\n", "").replace(" ", "").count(WORD) == 1
    elif format == "yaml":
        assert yaml.safe_load(text)["delivery"]["title"] == WORD
    else:  # the HTML page shows the title in its <title> and its heading
        assert text.count(WORD) == (2 if format == "html" else 1)


@given(
    st.text(st.sampled_from("ab -x"), max_size=400),
    st.integers(15, 80),
    st.integers(0, 12),
    st.integers(0, 12),
)
def test_wrap_cuts_long_words_as_textwrap_does(
    text: str, width: int, first: int, rest: int
) -> None:
    """Wrapping gives textwrap's lines, long words cut the same way, at any width and indent."""
    expected = textwrap.fill(
        text,
        width=width,
        initial_indent=" " * first,
        subsequent_indent=" " * rest,
        break_on_hyphens=False,
    )
    assume(text.strip())
    assert wrap(text, first, rest, width) == expected
