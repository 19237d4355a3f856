"""Start-up work and the safety of what makes it cheap: the fast converter, the scale cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualscale import _files


def test_a_signal_the_instant_after_the_temp_file_is_created_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT arriving right after the temporary file exists leaves no temporary file."""
    real_open = os.open

    def open_then_interrupted(*args: object, **kwargs: object) -> int:
        fd = real_open(*args, **kwargs)  # type: ignore[arg-type]
        os.close(fd)
        raise KeyboardInterrupt  # what Python raises when SIGINT lands at this instant

    monkeypatch.setattr(os, "open", open_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        _files.write_text(tmp_path / "out.txt", "text")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
