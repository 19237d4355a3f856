"""``python -m qualscale``: the same as the ``qualscale`` command."""

from qualscale.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
