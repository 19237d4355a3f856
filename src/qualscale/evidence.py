"""Evidence by depth and place: test results, sign-offs, waivers and gate artifacts.

Pure data; no I/O. Each piece of evidence (a :class:`Proof`) carries the kind it is
of, the depth it reached and the environment it was done in; a sign-off also says
who signed it. Shell modules read the files: JUnit XML, the pytest plugin's JSON
report and sign-off files (:func:`qualscale.loading.load_evidence`).
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

from qualscale._validators import DATE, iso_date, nonempty, nonneg

__all__ = [
    "Artifact",
    "EvidenceFile",
    "EvidenceSet",
    "Proof",
    "SignOff",
    "SignOffFile",
    "Waiver",
    "activity_id",
    "parse_activity",
    "same_person",
]

Result = Literal["passed", "failed"]


@attrs.frozen
class Proof:
    """Test results or a sign-off for one kind, at one depth, in one environment.

    Attributes:
        kind: The kind of test.
        depth: The depth reached; ``None`` when unknown (a test run then proves
            only the kind's shallowest depth).
        environment: Where it was done; ``None`` when unknown.
        passed: Passed tests (a passed sign-off counts 1).
        failed: Failed tests (a failed sign-off counts 1).
        skipped: Skipped tests.
        signed_by: Who signed it; ``None`` for a test run, which never proves an
            independent activity.
        when: When it was signed (ISO 8601).
        link: Where the record of it is (a report, a ticket).
        source: The file (and line) it was read from.
    """

    kind: str
    depth: str | None = None
    environment: str | None = None
    passed: int = attrs.field(default=0, validator=nonneg)
    failed: int = attrs.field(default=0, validator=nonneg)
    skipped: int = attrs.field(default=0, validator=nonneg)
    signed_by: str | None = None
    when: str | None = None
    link: str | None = None
    source: str = ""

    @property
    def signed(self) -> bool:
        """A person signed it (it is not a test run)."""
        return self.signed_by is not None


@attrs.frozen
class Waiver:
    """Permission to pass a gate without an activity, until ``expires``.

    Attributes:
        activity: Which activity: ``KIND``, ``KIND/DEPTH``, ``KIND@ENV`` or
            ``KIND/DEPTH@ENV`` (every activity that matches).
        approver: Who approved it (the author cannot waive their independent activity).
        reason: Why.
        expires: The last day it holds (ISO 8601); after it, the activity is missing.
        source: The file and line it was read from.
    """

    activity: str = attrs.field(validator=nonempty)
    approver: str = attrs.field(validator=nonempty)
    reason: str = attrs.field(validator=nonempty)
    expires: str = attrs.field(validator=iso_date, metadata={DATE: True})
    source: str = ""


@attrs.frozen
class Artifact:
    """A gate artifact that exists: its name as the gate lists it, who made it, where it is."""

    gate: str = attrs.field(validator=nonempty)
    name: str = attrs.field(validator=nonempty)
    who: str | None = None
    link: str | None = None
    source: str = ""


@attrs.frozen
class SignOff:
    """One entry of a sign-off file: work done outside test runners, signed by a person.

    ``activity`` is ``KIND`` or ``KIND/DEPTH@ENV``; ``depth`` and ``environment``
    may also be given as their own keys.
    """

    activity: str = attrs.field(validator=nonempty)
    result: Result
    who: str = attrs.field(validator=nonempty)
    when: str = attrs.field(validator=iso_date, metadata={DATE: True})
    depth: str | None = None
    environment: str | None = None
    link: str | None = None


@attrs.frozen
class SignOffFile:
    """A sign-off file: ``signoffs``, ``waivers`` and ``artifacts``, each a list."""

    signoffs: tuple[SignOff, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    artifacts: tuple[Artifact, ...] = ()


@attrs.frozen
class EvidenceFile:
    """A file evidence was read from, pinned by its SHA-256 (decision records list them).

    ``tests`` counts its test cases, ``no_kind`` those no kind could be found for.
    """

    path: str
    format: Literal["junit", "report", "signoffs"]
    sha256: str
    tests: int = 0
    no_kind: int = 0


@attrs.frozen
class EvidenceSet:
    """All the evidence of a verdict: proofs, waivers, artifacts and the files they came from.

    ``a + b`` joins two sets, so evidence from several files can be combined.
    """

    proofs: tuple[Proof, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    files: tuple[EvidenceFile, ...] = ()

    def __add__(self, other: EvidenceSet) -> EvidenceSet:
        if not isinstance(other, EvidenceSet):
            return NotImplemented
        return EvidenceSet(
            self.proofs + other.proofs,
            self.waivers + other.waivers,
            self.artifacts + other.artifacts,
            self.files + other.files,
        )


_ACTIVITY = re.compile(r"^([^/@\s]+)(?:/([^/@\s]+))?(?:@([^/@\s]+))?$(?!\n)")


def parse_activity(text: str) -> tuple[str, str | None, str | None]:
    """``"regression/full@pre-production"`` as ``("regression", "full", "pre-production")``.

    Raises:
        ValueError: the text is not ``KIND[/DEPTH][@ENV]``.
    """
    match = _ACTIVITY.match(text.strip())
    if match is None:
        raise ValueError(
            f"expected KIND, KIND/DEPTH, KIND@ENVIRONMENT or KIND/DEPTH@ENVIRONMENT, found {text!r}"
        )
    kind, depth, environment = match.groups()
    return kind, depth, environment


def activity_id(kind: str, depth: str | None, environment: str | None) -> str:
    """The activity written ``KIND[/DEPTH][@ENV]``, the way sign-offs and waivers name it."""
    return kind + (f"/{depth}" if depth else "") + (f"@{environment}" if environment else "")


_EMAIL = re.compile(r"<([^>]+)>")


def same_person(a: str | None, b: str | None) -> bool:
    """Whether two names are the same person: same name or same e-mail, case ignored.

    ``"Ann Lee <ann@example.com>"`` is ``"ann lee"`` and ``"ann@example.com"``.
    """
    if not a or not b:
        return False
    return bool(_identities(a) & _identities(b))


def _identities(who: str) -> set[str]:
    found = {m.strip().lower() for m in _EMAIL.findall(who)}
    name = _EMAIL.sub("", who).strip().lower()
    if name:
        found.add(" ".join(name.split()))
    return found


def __dir__() -> list[str]:
    return list(__all__)
