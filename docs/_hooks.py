"""mkdocs hooks (the built-in ``hooks:`` setting; nothing to install).

* The changelog page includes ``CHANGELOG.md`` from the repository root at build time,
  so the file stays the one place to edit.
* Until ``docs/pytest-plugin.md`` exists, a short stand-in page keeps the nav entry
  (and ``mkdocs build --strict``) working; the real page replaces it when it lands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

INCLUDE = "<!-- include: CHANGELOG.md -->"
PLUGIN_PAGE = "pytest-plugin.md"
PLUGIN_STAND_IN = """# pytest plugin

The plugin's page is being written. Until then, the module docstring of
`src/_qualscale_pytestplugin/__init__.py` describes its options (`--qualscale-*`),
ini keys and hooks.
"""


def on_files(files: Any, config: Any) -> Any:
    """Add a stand-in pytest plugin page while the real one is missing."""
    if files.get_file_from_path(PLUGIN_PAGE) is None:
        from mkdocs.structure.files import File

        files.append(File.generated(config, PLUGIN_PAGE, content=PLUGIN_STAND_IN))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace the include marker with CHANGELOG.md, less its own title."""
    if INCLUDE not in markdown:
        return markdown
    changelog = Path(config["config_file_path"]).parent / "CHANGELOG.md"
    lines = changelog.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return markdown.replace(INCLUDE, "\n".join(lines).strip() + "\n")
