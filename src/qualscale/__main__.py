"""``python -m qualscale`` and the ``qualscale`` script: the command line.

The methods attrs generates for qualscale's classes are cached for the whole run,
imports included (see :mod:`qualscale._code_cache`).
"""

from __future__ import annotations


def main() -> int:
    """Run the command line with ``sys.argv``; return the exit code."""
    from qualscale._code_cache import attrs_code_cached

    with attrs_code_cached():
        from qualscale.cli import main as run

        return run()


if __name__ == "__main__":
    raise SystemExit(main())
