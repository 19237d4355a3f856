"""The plugin's settings: options and ini keys read once into a frozen object.

An option wins over its ini key; every value remembers where it came from, so an
error can name ``--qualscale-scale`` or ``qualscale_scale (in tox.ini)``.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import attrs
import pytest

from _qualscale_pytestplugin.common import ini_value

__all__ = [
    "KindSettings",
    "Settings",
    "Source",
    "read_depth_lines",
    "read_kind_settings",
    "read_settings",
    "under",
]

_PATH_OPTIONS = (
    "--qualscale-delivery",
    "--qualscale-scale",
    "--qualscale-history",
    "--qualscale-report",
)


@attrs.frozen
class Source:
    """A value given by an option or an ini key.

    Attributes:
        value: The value as written.
        base: The folder a relative path in ``value`` is relative to.
        label: The option or ini key, for messages: ``qualscale_scale (in tox.ini)``.
    """

    value: str
    base: Path
    label: str

    def path(self) -> Path:
        """``value`` as a path under ``base``."""
        return under(self.base, self.value)


@attrs.frozen
class KindSettings:
    """The ``qualscale_kinds`` lines and the ``qualscale_default_kind``."""

    rules: tuple[str, ...] = ()
    default: str = "unit"


@attrs.frozen
class Settings:
    """Everything the options and the ini file say, for an active plugin.

    Attributes:
        delivery: ``--qualscale-delivery``, if given.
        git: ``--qualscale-git``, if given.
        scale: The scale by option or ini key; ``None`` for the bundled default.
        history: The history file by option or ini key.
        select: ``--qualscale-select`` or the ini key ``qualscale_select``.
        enforce: ``--qualscale-enforce`` or the ini key ``qualscale_enforce``.
        report: The report file, its folder checked to exist.
        kinds: The kind rules as written.
        environment: ``--qualscale-environment`` or the ini key ``qualscale_environment``.
        gate: ``--qualscale-gate``.
        depths: The ``qualscale_depths`` lines as written.
    """

    delivery: Source | None
    git: Source | None
    scale: Source | None
    history: Source | None
    select: bool
    enforce: bool
    report: Path | None
    kinds: KindSettings
    environment: Source | None = None
    gate: Source | None = None
    depths: tuple[str, ...] = ()


def under(base: Path, value: str) -> Path:
    """``value`` relative to ``base``; kept relative when ``base`` is the working folder,
    so error messages show the path as the user wrote it."""
    path = Path(os.path.expanduser(value))
    if path.is_absolute() or base == Path.cwd():
        return path
    return base / path


def read_settings(config: pytest.Config) -> Settings:
    """Read and check the options and ini keys of an active session.

    Raises:
        pytest.UsageError: a value is bad; the message names the option or ini key.
    """
    delivery = _option(config, "delivery")
    git = _option(config, "git")
    if delivery is not None and git is not None:
        raise pytest.UsageError(
            "--qualscale-delivery and --qualscale-git both given; give one of them"
        )
    if delivery is not None or git is not None:
        _warn_if_rootdir_moved(config)
    return Settings(
        delivery=delivery,
        git=git,
        scale=_setting(config, "scale"),
        history=_setting(config, "history"),
        select=_flag(config, "select"),
        enforce=_flag(config, "enforce"),
        report=_report_path(config),
        kinds=read_kind_settings(config),
        environment=_setting(config, "environment"),
        gate=_option(config, "gate"),
        depths=read_depth_lines(config),
    )


def read_depth_lines(config: pytest.Config) -> tuple[str, ...]:
    """The ``qualscale_depths`` lines (an xdist worker needs them too)."""
    lines = ini_value(config, "qualscale_depths")
    return tuple(str(line) for line in lines) if isinstance(lines, list) else ()


def read_kind_settings(config: pytest.Config) -> KindSettings:
    """The ini keys that map tests to kinds (an xdist worker needs only these)."""
    lines = ini_value(config, "qualscale_kinds")
    rules = tuple(str(line) for line in lines) if isinstance(lines, list) else ()
    default = str(ini_value(config, "qualscale_default_kind") or "").strip()
    return KindSettings(rules, default or "unit")


def _option(config: pytest.Config, name: str) -> Source | None:
    value: str | None = getattr(config.option, f"qualscale_{name}")
    if value is None:
        return None
    return Source(value, config.invocation_params.dir, f"--qualscale-{name}")


def _setting(config: pytest.Config, name: str) -> Source | None:
    """Option ``name``, else its ini key (relative to the ini file's folder)."""
    given = _option(config, name)
    if given is not None:
        return given
    ini = str(ini_value(config, f"qualscale_{name}") or "").strip()
    if not ini:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return Source(ini, base, f"qualscale_{name} (in {config.inipath or 'the ini file'})")


def _flag(config: pytest.Config, name: str) -> bool:
    value: bool | None = getattr(config.option, f"qualscale_{name}")
    return bool(ini_value(config, f"qualscale_{name}")) if value is None else value


def _report_path(config: pytest.Config) -> Path | None:
    value: str | None = config.option.qualscale_report
    if value is None:
        return None
    path = under(config.invocation_params.dir, value)
    if path.is_dir():
        raise pytest.UsageError(f"--qualscale-report: {value!r} is a directory; expected a file")
    if not path.parent.is_dir():
        raise pytest.UsageError(
            f"--qualscale-report: the folder of {value!r} does not exist ({path.parent})"
        )
    return path


def _warn_if_rootdir_moved(config: pytest.Config) -> None:
    """Warn when a path after ``--qualscale-... FILE`` likely moved pytest's rootdir.

    pytest looks for the rootdir and the ini file before it loads plugins, and takes
    the value of an option it does not know yet for a test path (pytest-dev/pytest#8846).
    A file outside the current folder then moves the rootdir and can lose the ini file
    with it; ``--qualscale-delivery=FILE`` does not.
    """
    option = config.option
    if option.rootdir or option.inifilename:
        return
    here = config.invocation_params.dir
    if config.inipath is not None and here.is_relative_to(config.inipath.parent):
        return
    args = [str(arg) for arg in config.invocation_params.args]
    for flag, value in itertools.pairwise(args):
        if flag not in _PATH_OPTIONS or not os.path.exists(value):
            continue
        if not (here / value).resolve().is_relative_to(here.resolve()):
            config.issue_config_time_warning(
                pytest.PytestConfigWarning(
                    f"{flag} {value}: pytest read this file as a test path while it looked "
                    f"for the rootdir (now {config.rootpath}) and the ini file "
                    f"({config.inipath or 'none found'}); write {flag}={value} "
                    "(pytest-dev/pytest#8846)"
                ),
                stacklevel=2,
            )
