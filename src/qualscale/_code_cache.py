"""A cache of the methods attrs generates for qualscale's classes, for the command line.

attrs writes the source of each class's ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``... when the class is created and compiles it: for the fifty-odd classes a
plan imports, compiling is a third of what importing qualscale costs. The command
line (``python -m qualscale``, the ``qualscale`` script) keeps the compiled code in
the cache folder of loaded scales (see :mod:`qualscale._scale_cache`), marshalled, one
file per Python build and attrs version, and hands attrs the kept code when the source
attrs wrote is exactly the source it was compiled from: a changed class, attrs
version or Python misses and is compiled as usual. Only classes of qualscale's own
modules are kept, one entry per class (a changed class replaces its entry).

attrs puts one number in the source it writes, the hash of the class's name mixed into
``__hash__`` (which differs from run to run with the string hash seed); the cached
source names a global instead, given that number when the code runs - the same hash.
The cache is used only with the attrs versions it was tested with (see
:data:`ATTRS_TESTED`); with any other, or when something about attrs is not as
expected, attrs runs untouched. A file that cannot be read or holds anything else is
ignored and replaced; it is read only when this user alone can have written it
(marshalled code runs) and written atomically. ``QUALSCALE_CACHE_DIR=off`` turns it
off with the scale cache.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["ATTRS_TESTED", "attrs_code_cached"]

#: attrs versions the cache is used with: from 25.3 up to, not including, 27.
ATTRS_TESTED = ((25, 3), (27, 0))
_FORMAT = 1
_HASH_NAME = "_qualscale_type_hash"
_Eval = Callable[[str, "dict[str, Any] | None", "Mapping[str, object] | None", str], None]


@contextlib.contextmanager
def attrs_code_cached() -> Iterator[None]:
    """Within the block, attrs reuses the cached code of qualscale's classes.

    Code compiled in the block for a class not in the cache is added to it afterwards.
    """
    found = _attrs_make()
    folder = _folder()
    if found is None or folder is None:
        yield
        return
    make, version = found
    cache = _CodeCache(os.path.join(folder, _file_name(version)))
    original: _Eval = make._compile_and_eval
    make._compile_and_eval = cache.wrap(original)
    try:
        yield
    finally:
        make._compile_and_eval = original
    cache.save()


def _attrs_make() -> tuple[Any, str] | None:
    """attrs' ``_make`` module and attrs' version, if one the cache was tested with."""
    import attr._make

    version = _attrs_version(attr._make.__file__)
    if version is None:
        return None
    try:
        numbers = tuple(int(part) for part in version.split(".")[:2])
    except ValueError:
        return None
    low, high = ATTRS_TESTED
    function = getattr(attr._make, "_compile_and_eval", None)
    code = getattr(function, "__code__", None)
    if not low <= numbers < high or code is None:
        return None
    if code.co_varnames[:4] != ("script", "globs", "locs", "filename"):
        return None
    return attr._make, version


def _attrs_version(module: str | None) -> str | None:
    """The version of the attrs distribution installed beside the module ``attr._make``.

    Read from the name of its ``attrs-VERSION.dist-info`` folder: ``attr.__version__``
    imports ``importlib.metadata``, which costs more than the cache saves.
    """
    if module is None:
        return None
    site = os.path.dirname(os.path.dirname(module))
    try:
        names = [n for n in os.listdir(site) if n.startswith("attrs-") and n.endswith(".dist-info")]
    except OSError:
        return None
    return names[0][len("attrs-") : -len(".dist-info")] if len(names) == 1 else None


def _folder() -> str | None:
    from qualscale._scale_cache import cache_dir

    return cache_dir()


def _file_name(version: str) -> str:
    from qualscale._scale_cache import _sha256

    stamp = f"{_FORMAT}\0{sys.version}\0{sys.implementation.cache_tag}\0{version}"
    return f"attrs-code-{_sha256(stamp.encode('utf-8'))[:16]}.marshal"


class _CodeCache:
    """The kept code: per attrs file name of a class, the source and its code object."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.codes = _read(path)
        self.added: dict[str, tuple[str, types.CodeType]] = {}

    def wrap(self, original: _Eval) -> _Eval:
        """``original`` (attrs' compile and run), with code of qualscale's classes reused."""

        def compile_and_eval(
            script: str,
            globs: dict[str, Any] | None,
            locs: Mapping[str, object] | None = None,
            filename: str = "",
        ) -> None:
            if globs is None or not _ours(filename):
                original(script, globs, locs, filename)
                return
            source, number = _without_type_hash(script, filename)
            if number is not None:
                globs[_HASH_NAME] = number
            code = self.code(filename, source)
            eval(code, globs, locs)

        return compile_and_eval

    def code(self, filename: str, source: str) -> types.CodeType:
        """The code of ``source``: kept, or compiled now and kept."""
        entry = self.codes.get(filename)
        if (
            type(entry) is tuple
            and len(entry) == 2
            and entry[0] == source
            and isinstance(entry[1], types.CodeType)
        ):
            code: types.CodeType = entry[1]
            return code
        code = compile(source, filename, "exec")
        self.added[filename] = (source, code)
        return code

    def save(self) -> None:
        """Write the cache with what was added, if anything was; silently skipped on failure."""
        if not self.added:
            return
        import marshal

        from qualscale._files import write_bytes
        from qualscale._scale_cache import private_dir

        try:
            data = marshal.dumps((_FORMAT, sys.version, {**self.codes, **self.added}))
            if private_dir(os.path.dirname(self.path)):
                write_bytes(self.path, data, mode=0o600, durable=False)
        except Exception:
            return


def _ours(filename: str) -> bool:
    # attrs names its sources "<attrs generated WHAT MODULE.CLASS>".
    words = filename.split(" ")
    return len(words) == 4 and words[0] == "<attrs" and words[3].startswith("qualscale.")


def _without_type_hash(script: str, filename: str) -> tuple[str, int | None]:
    """``script`` with the number attrs mixes into ``__hash__`` replaced by a name, and it."""
    words = filename.split(" ")
    number = hash(" ".join([*words[:2], "hash", words[3]]))
    line = f" {number},\n"
    if line not in script:
        return script, None
    return script.replace(line, f" {_HASH_NAME},\n"), number


def _read(path: str) -> dict[str, Any]:
    from qualscale._scale_cache import read_private

    data = read_private(path)
    if data is None:
        return {}
    import marshal

    try:
        fmt, version, codes = marshal.loads(data)
    except Exception:
        return {}
    if (fmt, version) != (_FORMAT, sys.version) or type(codes) is not dict:
        return {}
    return codes


def __dir__() -> list[str]:
    return list(__all__)
