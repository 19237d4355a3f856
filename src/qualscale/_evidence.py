"""Read the evidence of a verdict: sign-off files, the pytest plugin's reports, JUnit XML.

A sign-off file (YAML or JSON) records work done outside test runners::

    signoffs:
      - {activity: regression/full@pre-production, result: passed,
         who: Dana Reyes, when: 2026-11-20, link: https://ci.example/r/812}
    waivers:
      - {activity: performance, approver: Lee Park, reason: "...", expires: 2026-12-31}
    artifacts:
      - {gate: G3, name: regression report, who: Dana Reyes, link: https://...}

Every activity, depth, environment and gate named must be the scale's; a sign-off
must say where it was done.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

import attrs

from qualscale._junit import read_bytes, read_junit
from qualscale._text import did_you_mean
from qualscale.errors import EvidenceError, KeyPath, Problem
from qualscale.evidence import (
    EvidenceFile,
    EvidenceSet,
    Proof,
    SignOff,
    SignOffFile,
    parse_activity,
)
from qualscale.scale import Scale

__all__ = ["load_evidence", "read_report", "read_signoffs"]

_MAX_DOC_BYTES = 5 * 1024 * 1024


def load_evidence(
    scale: Scale,
    *,
    junit: Sequence[str] = (),
    reports: Sequence[str] = (),
    signoffs: Sequence[str] = (),
    environment: str | None = None,
) -> EvidenceSet:
    """All the evidence the files give; ``environment`` is where the test runs were.

    Raises:
        EvidenceError: a file is refused, with file, line and key path.
    """
    found = EvidenceSet()
    for path in junit:
        found += read_junit(path, scale, environment)
    for path in reports:
        found += read_report(path, scale, environment)
    for path in signoffs:
        found += read_signoffs(path, scale)
    return found


def read_report(path: str, scale: Scale, environment: str | None) -> EvidenceSet:
    """The counts per kind of a ``--qualscale-report`` JSON file (no depth: the shallowest).

    Raises:
        EvidenceError: not JSON, or not shaped like the plugin's report.
    """
    from qualscale._structure import locate_problems
    from qualscale.loading import parse_bytes

    raw = read_bytes(path, _MAX_DOC_BYTES)
    # The one reading layer: size, depth and value limits, and a line for every key.
    data = parse_bytes(raw, os.fspath(path), EvidenceError)

    def refused(message: str, at: tuple[str | int, ...]) -> EvidenceError:
        return EvidenceError(locate_problems(data, [Problem(message, path=at)], path))

    kinds = data.get("verdict", {}).get("kinds") if isinstance(data, dict) else None
    if not isinstance(kinds, list):
        if not isinstance(data, dict):
            raise EvidenceError.single(
                "expected a qualscale plugin report (a verdict with kinds)", file=path, line=1
            )
        raise refused("expected a qualscale plugin report (a verdict with kinds)", ("verdict",))
    where = data.get("environment") if isinstance(data.get("environment"), str) else environment
    proofs = []
    known = {k.id for k in scale.kinds}
    for i, entry in enumerate(kinds):
        if not isinstance(entry, dict) or entry.get("kind") not in known:
            continue
        try:
            passed, failed, skipped = (
                int(entry.get(k, 0)) for k in ("passed", "failed", "skipped")
            )
            proofs.append(Proof(entry["kind"], None, where, passed, failed, skipped, source=path))
        except (TypeError, ValueError):
            message = "expected counts that are integers of at least 0"
            raise refused(message, ("verdict", "kinds", i)) from None
    sha = hashlib.sha256(raw).hexdigest()
    tests = sum(p.passed + p.failed + p.skipped for p in proofs)
    return EvidenceSet(proofs=tuple(proofs), files=(EvidenceFile(path, "report", sha, tests),))


def read_signoffs(path: str, scale: Scale) -> EvidenceSet:
    """The sign-offs, waivers and artifacts of a sign-off file.

    Raises:
        EvidenceError: naming file, line and key path of every problem.
    """
    from qualscale._structure import locate_problems, structure_located
    from qualscale.loading import parse_bytes

    raw = read_bytes(path, _MAX_DOC_BYTES)
    data = parse_bytes(raw, os.fspath(path), EvidenceError)
    if not isinstance(data, dict):
        from qualscale._structure import describe

        # A lone value or an empty file has no key to point at: the top of the file is
        # where a reader looks for the missing mapping.
        raise EvidenceError.single(
            f"expected a mapping with signoffs, waivers and artifacts, found {describe(data)}",
            file=path,
            line=1,
        )
    doc = structure_located(data, SignOffFile, EvidenceError, file=path)
    problems = _check(doc, scale)
    if problems:
        raise EvidenceError(locate_problems(data, problems, path))
    proofs = tuple(_proof(s, i, data, path) for i, s in enumerate(doc.signoffs))
    sha = hashlib.sha256(raw).hexdigest()
    return EvidenceSet(
        proofs=proofs,
        waivers=tuple(attrs.evolve(w, source=path) for w in doc.waivers),
        artifacts=doc.artifacts,
        files=(EvidenceFile(path, "signoffs", sha, len(proofs)),),
    )


def _where(signoff: SignOff) -> tuple[str, str | None, str | None]:
    kind, depth, environment = parse_activity(signoff.activity)
    return kind, signoff.depth or depth, signoff.environment or environment


def _proof(signoff: SignOff, index: int, data: Any, path: str) -> Proof:
    from qualscale._located import locate

    kind, depth, environment = _where(signoff)
    _, line = locate(data, ("signoffs", index))
    ok = signoff.result == "passed"
    return Proof(
        kind,
        depth,
        environment,
        passed=int(ok),
        failed=int(not ok),
        signed_by=signoff.who,
        when=signoff.when,
        link=signoff.link,
        source=f"{path}:{line}" if line else path,
    )


def _check(doc: SignOffFile, scale: Scale) -> list[Problem]:
    found: list[tuple[KeyPath, str]] = []
    envs = [e.id for e in scale.environments]
    for i, signoff in enumerate(doc.signoffs):
        at: KeyPath = ("signoffs", i)
        try:
            kind, depth, environment = _where(signoff)
        except ValueError as exc:
            found.append(((*at, "activity"), str(exc)))
            continue
        found.extend(_known_activity(scale, kind, depth, (*at, "activity")))
        if environment is None:
            found.append(((*at, "environment"), "expected the environment it was done in"))
        elif environment not in envs:
            found.append(((*at, "environment"), _unknown("environment", environment, envs)))
    for i, waiver in enumerate(doc.waivers):
        at = ("waivers", i, "activity")
        try:
            kind, depth, _ = parse_activity(waiver.activity)
        except ValueError as exc:
            found.append((at, str(exc)))
            continue
        found.extend(_known_activity(scale, kind, depth, at))
    gates = [g.id for g in scale.gates]
    for i, artifact in enumerate(doc.artifacts):
        if artifact.gate not in gates:
            found.append((("artifacts", i, "gate"), _unknown("gate", artifact.gate, gates)))
    return [Problem(message, path=path) for path, message in found]


def _known_activity(
    scale: Scale, kind: str, depth: str | None, at: KeyPath
) -> list[tuple[KeyPath, str]]:
    kinds = [k.id for k in scale.kinds]
    if kind not in kinds:
        return [(at, _unknown("kind", kind, kinds))]
    depths = list(scale.kind(kind).depth_ids)
    if depth is not None and depth not in depths:
        return [(at, _unknown(f"depth of {kind}", depth, depths))]
    return []


def _unknown(what: str, value: str, choices: list[str]) -> str:
    return (
        f"unknown {what} {value!r}; expected one of: {', '.join(choices)}"
        f"{did_you_mean(value, choices)}"
    )


def __dir__() -> list[str]:
    return list(__all__)
