"""Read JUnit XML from any test runner into evidence, refusing hostile files.

Parsed with defusedxml: a DTD, entity declarations and external references are refused
(no billion laughs, nothing read outside the file); a file larger than
:data:`MAX_XML_BYTES`, truncated, not well-formed or with another root element is an
:class:`~qualscale.errors.EvidenceError` naming the file and line.

A test case's kind, depth and environment come from the properties the pytest plugin
writes (``qualscale_kind``, ``qualscale_depth``, ``qualscale_environment``), else
from the scale's ids found as words of its class name or file (``tests.integration.
test_api`` is ``integration``); the environment, else, is the one given for the file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from typing import Any

from qualscale._files import read_limited
from qualscale.errors import EvidenceError
from qualscale.evidence import EvidenceFile, EvidenceSet, Proof
from qualscale.scale import Scale

__all__ = ["MAX_XML_BYTES", "parse_junit", "read_bytes", "read_junit"]

#: The largest evidence file read, in bytes.
MAX_XML_BYTES = 32 * 1024 * 1024

_WORD = re.compile(r"[A-Za-z0-9-]+")
_ROOTS = ("testsuites", "testsuite")


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_XML_BYTES) -> bytes:
    """The bytes of an evidence file, at most ``limit``.

    Raises:
        EvidenceError: missing, unreadable, a directory, or larger than ``limit``.
    """
    name = os.fspath(path)
    raw = read_limited(path, limit, EvidenceError)
    if len(raw) > limit:
        raise EvidenceError.single(f"larger than {limit} bytes; refused", file=name)
    return raw


def read_junit(path: str | os.PathLike[str], scale: Scale, environment: str | None) -> EvidenceSet:
    """The evidence of a JUnit XML file; test cases of no known kind are only counted.

    Raises:
        EvidenceError: the file is refused (see the module's documentation).
    """
    raw = read_bytes(path)
    return parse_junit(raw, os.fspath(path), scale, environment)


def parse_junit(raw: bytes, name: str, scale: Scale, environment: str | None) -> EvidenceSet:
    """The evidence of JUnit XML bytes read from ``name``."""
    root = _parse(raw, name)
    counts: dict[tuple[str, str | None, str | None], list[int]] = {}
    tests = no_kind = 0
    depths_of = {k.id: k.depth_ids for k in scale.kinds}
    for case in root.iter("testcase"):
        tests += 1
        kind, depth, where = _place(case, depths_of, environment)
        if kind is None:
            no_kind += 1
            continue
        slot = counts.setdefault((kind, depth, where), [0, 0, 0])
        slot[_outcome(case)] += 1
    proofs = tuple(
        Proof(kind, depth, where, passed=c[0], failed=c[1], skipped=c[2], source=name)
        for (kind, depth, where), c in counts.items()
    )
    sha = hashlib.sha256(raw).hexdigest()
    return EvidenceSet(proofs=proofs, files=(EvidenceFile(name, "junit", sha, tests, no_kind),))


def _parse(raw: bytes, name: str) -> Any:
    import xml.etree.ElementTree as ET

    import defusedxml
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(forbid_dtd=True)
    try:
        parser.feed(raw)
        root = parser.close()
    except defusedxml.DefusedXmlException as exc:
        line = parser.parser.CurrentLineNumber
        raise EvidenceError.single(f"refused: {_defused(exc)}", file=name, line=line) from None
    except LookupError as exc:  # an encoding declaration Python does not know
        text = f"not readable XML: {exc}"
        raise EvidenceError.single(text, file=name, line=1) from None
    except ET.ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":", 1)[0]
        text = f"not well-formed XML: {message} (column {column + 1})"
        raise EvidenceError.single(text, file=name, line=line) from None
    if root.tag not in _ROOTS:
        found = raw.find(b"<" + root.tag.encode("utf-8", "replace"))
        line = raw.count(b"\n", 0, max(found, 0)) + 1
        raise EvidenceError.single(
            f"expected JUnit XML (a <testsuites> or <testsuite> root), found <{root.tag:.40}>",
            file=name,
            line=line,
        )
    return root


def _defused(exc: Exception) -> str:
    what = type(exc).__name__
    return {
        "DTDForbidden": "a DTD (document type declaration) is not allowed in JUnit XML",
        "EntitiesForbidden": "entity declarations are not allowed (entity expansion)",
        "ExternalReferenceForbidden": "external references are not allowed (nothing is fetched)",
    }.get(what, what)


def _properties(case: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for props in case.iterfind("properties"):
        for prop in props.iterfind("property"):
            key, value = prop.get("name"), prop.get("value")
            if key and value is not None and key.startswith("qualscale_"):
                found.setdefault(key, value)
    return found


def _place(
    case: Any, depths_of: dict[str, tuple[str, ...]], environment: str | None
) -> tuple[str | None, str | None, str | None]:
    props = _properties(case)
    kind = props.get("qualscale_kind")
    words: list[str] | None = None
    if kind not in depths_of:
        words = _words((case.get("classname"), case.get("file"), case.get("name")))
        kind = next((w for w in words if w in depths_of), None)
    if kind is None:
        return None, None, None
    depths = depths_of[kind]
    depth = props.get("qualscale_depth")
    if depth not in depths:
        if words is None:
            words = _words((case.get("classname"), case.get("file"), case.get("name")))
        depth = next((w for w in words if w in depths), None)
    return kind, depth, props.get("qualscale_environment") or environment


def _words(texts: Iterable[str | None]) -> list[str]:
    return [w.lower() for text in texts if text for w in _WORD.findall(text)]


def _outcome(case: Any) -> int:
    """0 passed, 1 failed (a failure or an error), 2 skipped."""
    tags = {child.tag for child in case}
    if tags & {"failure", "error"}:
        return 1
    if "skipped" in tags:
        return 2
    return 0


def __dir__() -> list[str]:
    return list(__all__)
