"""The bundled ``generic`` scale: content-only deliveries are S1, flags and types still count."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualscale
from qualscale.delivery import Delivery

GENERIC = qualscale.load_scale("generic")

_name = st.text("abcxyz_", min_size=1, max_size=6)
_docs = st.one_of(
    st.builds("docs/{}.rst".format, _name),
    st.builds("doc/{}/{}.md".format, _name, _name),
    st.sampled_from(["README.md", "CHANGES.rst", "CHANGELOG.md", "LICENSE.txt", "HISTORY.rst"]),
    st.builds("changelog.d/{}.bugfix.rst".format, _name),
    st.builds("newsfragments/{}.feature".format, _name),
    st.builds("examples/{}/app.py".format, _name),
)
_tests = st.one_of(
    st.builds("tests/{}.py".format, _name),
    st.builds("src/pkg/tests/test_{}.py".format, _name),
    st.builds("tests/data/{}.json".format, _name),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(_docs, _tests), min_size=1, max_size=30, unique=True),
    st.integers(0, 5000),
)
def test_docs_changelog_and_test_only_deliveries_are_the_lowest(
    paths: list[str], lines: int
) -> None:
    """Without a type, a delivery of docs, changelog and tests only is S1 whatever its size."""
    delivery = Delivery(
        id="d",
        paths=tuple(paths),
        changes=qualscale.Changes(lines_added=lines, lines_removed=0, files=len(paths)),
    )
    assert qualscale.classify(delivery, GENERIC).standard.id == "S1"


def test_a_security_flag_requires_security_tests() -> None:
    """A small change flagged security requires a security review on the generic scale."""
    delivery = Delivery(
        id="d",
        paths=("src/pkg/session.py",),
        flags=("security",),
        changes=qualscale.Changes(lines_added=3, lines_removed=1, files=1),
    )
    plan = qualscale.plan(delivery, GENERIC)
    (security,) = [r for r in plan.requirements if r.kind == "security"]
    assert (security.obligation, security.depth) == ("required", "review")


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("requirements/dev.txt", "dependencies"),
        ("poetry.lock", "dependencies"),
        ("CHANGES.rst", "changelog"),
        ("changelog.d/123.fix.md", "changelog"),
        (".github/workflows/ci.yml", "ci"),
        ("tox.ini", "ci"),
        ("noxfile.py", "ci"),
        ("pyproject.toml", "packaging"),
        ("setup.cfg", "packaging"),
        ("Makefile", "packaging"),
        ("docs/conf.py", "docs"),
        ("tests/conftest.py", "tests"),
        ("src/pkg/app.py", "source"),
        ("weird/file.xyz", "source"),
    ],
)
def test_generic_components_take_the_usual_files(path: str, component: str) -> None:
    """Dependency pins, changelogs, CI, packaging, docs and tests land where a reader expects."""
    from qualscale._mapping import map_paths

    (match,) = map_paths(GENERIC.rules, [path]).matches
    assert match.component == component


def test_performance_is_required_only_at_the_top_standard() -> None:
    """Only S4 requires performance tests in the table."""
    required = [
        s.id
        for s in GENERIC.standards
        if any(
            r.kind == "performance" and r.obligation == "required" for r in GENERIC.requires(s.id)
        )
    ]
    assert required == ["S4"]
