"""Where the tests find the project's shipped files."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STANDARDS = ROOT / "standards"
EXAMPLES = ROOT / "examples"
