"""The Jinja2 machinery of :mod:`qualscale.render`: environments, filters, user templates.

Imported only when something is rendered with a template, so that planning to JSON
never imports jinja2. User templates run in Jinja's immutable sandbox; whatever
fails in them becomes a :class:`~qualscale.errors.RenderError` naming the template
file and line.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Generator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

import jinja2
import jinja2.compiler
import jinja2.filters
import jinja2.nodes
import jinja2.sandbox
import jinja2.utils

from qualscale._text import code, md, table, wrap
from qualscale.errors import RenderError

__all__ = [
    "MAX_OUTPUT",
    "MAX_SECONDS",
    "MAX_VALUE",
    "TEMPLATE_SUFFIXES",
    "SharedParts",
    "output_name",
    "render_shipped",
    "render_user",
]

#: The most characters a user template may write.
MAX_OUTPUT = 10_000_000
#: The most seconds a user template may run.
MAX_SECONDS = 10
#: The most items a ``*`` in a user template may make (characters of a string, items
#: of a list) and the most bits of an integer ``**`` may make.
MAX_VALUE = 10_000_000

T = TypeVar("T")


class SharedParts(Protocol):
    """The scale's part of a context, plain (``common``) and wrapped with names (``named``)."""

    common: dict[str, Any]
    named: dict[str, Any]


class _Named(dict[str, Any]):
    """A mapping of the context that knows its name, for error messages."""

    __slots__ = ("_qs_name",)
    _qs_name: str


class _NamedList(list[Any]):
    """A list of the context that knows its name, for error messages."""

    __slots__ = ("_qs_name",)
    _qs_name: str


def _named(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        out = _Named()
        for key, item in value.items():
            step = (
                f"{name}.{key}"
                if isinstance(key, str) and key.isidentifier()
                else f"{name}[{key!r}]"
            )
            out[key] = _named(item, step)
        out._qs_name = name
        return out
    if isinstance(value, list):
        items = _NamedList(_named(item, f"{name}[{i}]") for i, item in enumerate(value))
        items._qs_name = name
        return items
    return value


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose messages name the context variable (``'plan.delivery'``)."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        name = getattr(self._undefined_obj, "_qs_name", None)
        if self._undefined_hint or name is None:
            return str(super()._undefined_message)
        if not isinstance(self._undefined_name, str):
            return f"{name!r} has no element {self._undefined_name!r}"
        return f"{name!r} has no attribute {self._undefined_name!r}"


#: The suffixes that mark a file as a template; what comes before says what it writes.
TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2")


def output_name(template: str) -> str:
    """The name of what ``template`` writes: ``report.html.j2`` -> ``report.html``."""
    for suffix in TEMPLATE_SUFFIXES:
        template = template.removesuffix(suffix)
    return template


def _autoescape(name: str | None) -> bool:
    return name is not None and output_name(name.lower()).endswith((".html", ".htm", ".xml"))


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["md"] = md
    env.filters["wrap"] = wrap
    env.filters["code"] = code
    env.filters["table"] = table
    return env


_OPTIONS: dict[str, Any] = {
    "undefined": _Undefined,
    "autoescape": _autoescape,
    "keep_trailing_newline": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
}


def _package_loader() -> jinja2.BaseLoader:
    return jinja2.PackageLoader("qualscale", "templates")


@functools.cache
def _shipped() -> jinja2.Environment:
    cache = _BytecodeCache.make()
    env = jinja2.Environment(loader=_package_loader(), bytecode_cache=cache, **_OPTIONS)
    return _configure(env)


class _BytecodeCache(jinja2.BytecodeCache):
    """The shipped templates' compiled code, kept in the scale cache's folder.

    Compiling a template costs more than rendering it. Jinja names an entry after the
    template and checks the SHA-1 of its source on every load; an entry that is not
    private to this user or does not load is ignored, one that cannot be written is
    skipped - rendering never fails because of the cache.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def make(cls) -> _BytecodeCache | None:
        from qualscale._scale_cache import cache_dir

        folder = cache_dir()
        return None if folder is None else cls(Path(folder, "templates"))

    def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
        # The code also depends on the environment's options: they change with qualscale.
        from qualscale._version import __version__

        return self.folder / f"{bucket.key}.{__version__}.{jinja2.__version__}.jinja"

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        from qualscale._scale_cache import read_private

        data = read_private(self._path(bucket))
        if data is None:
            return
        try:
            bucket.bytecode_from_string(data)
        except Exception:  # a broken entry: compile afresh
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        from qualscale._files import write_bytes
        from qualscale._scale_cache import evict, private_dir

        try:
            if private_dir(self.folder):
                evict(self.folder, ".jinja")
                data = bucket.bytecode_to_string()
                write_bytes(self._path(bucket), data, mode=0o600, durable=False)
        except Exception:  # a read-only home, a full disk: run without
            return


class _Refused(jinja2.TemplateError):
    """Something a user template may not do: too big, too long, outside its folder."""


class _FolderLoader(jinja2.FileSystemLoader):
    """Templates from one folder only: a symlink that leads out of it is refused."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        folder = os.path.realpath(self.searchpath[0])
        real = os.path.realpath(os.path.join(folder, *template.split("/")))
        if os.path.exists(real) and os.path.commonpath([folder, real]) != folder:
            raise _Refused(f"{template!r} leads outside the template folder (to {real})")
        return super().get_source(environment, template)


def _at_most(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_VALUE:
        raise _Refused(f"{what} {value} is too large (more than {MAX_VALUE:,})")


def _center(value: str, width: int = 80) -> str:
    _at_most(width, "center's width")
    return jinja2.filters.do_center(value, width)


def _indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    _at_most(width, "indent's width")
    return jinja2.filters.do_indent(s, width, first, blank)


@jinja2.pass_environment
def _wordwrap(
    environment: jinja2.Environment,
    s: str,
    width: int = 79,
    break_long_words: bool = True,
    wrapstring: str | None = None,
    break_on_hyphens: bool = True,
) -> str:
    # Jinja's own is textwrap's, quadratic in a long word; this one is linear.
    from qualscale._text import linear_wrapper

    _at_most(width, "wordwrap's width")
    wrapper = linear_wrapper(
        width,
        expand_tabs=False,
        replace_whitespace=False,
        break_long_words=break_long_words,
        break_on_hyphens=break_on_hyphens,
    )
    joint = environment.newline_sequence if wrapstring is None else wrapstring
    return joint.join(joint.join(wrapper.wrap(line)) for line in s.splitlines())


def _batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
    _at_most(linecount, "batch's size")
    return jinja2.filters.do_batch(value, linecount, fill_with)


def _slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    _at_most(slices, "slice's count")
    return jinja2.filters.do_slice(value, slices, fill_with)


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    for arg in (*args, *kwargs.values()):
        _at_most(arg, "a number given to format")
    return jinja2.filters.do_format(value, *args, **kwargs)


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    _at_most(n * max if isinstance(n, int) and isinstance(max, int) else n, "lipsum's size")
    return str(jinja2.utils.generate_lorem_ipsum(n, html, min, max))


#: Built-in filters whose numbers size their result: bounded like ``*`` and ``**``.
_BOUNDED_FILTERS: dict[str, Any] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "batch": _batch,
    "slice": _slice,
    "format": _format,
}


class _Generator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, with every loop's iterable passed through the sandbox.

    A loop that calls nothing (``{% for a in s %}{% for b in s %}{% endfor %}...``) never
    meets the time check of :meth:`_Sandbox.call`; its iterable now does.
    """

    def visit_For(self, node: jinja2.nodes.For, frame: jinja2.compiler.Frame) -> None:
        it = node.iter
        if not (isinstance(it, jinja2.nodes.Call) and it.node == _COUNTED):
            node.iter = jinja2.nodes.Call(_COUNTED, [it], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)


#: ``environment.counted``, called (through the sandbox) on every loop's iterable.
_COUNTED = jinja2.nodes.EnvironmentAttribute("counted")


class _Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """The immutable sandbox, with a bound on values, on time and on output."""

    code_generator_class = _Generator
    intercepted_binops = frozenset(["*", "**"])
    #: When the render must stop (``time.monotonic()``); set by :func:`render_user`.
    deadline = float("inf")

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters.update(_BOUNDED_FILTERS)
        self.globals["lipsum"] = _lipsum

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """``items`` of a loop, stopping the render past its deadline."""
        return _timed(items, self.deadline)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(
        __self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:
        _check_time(__self.deadline)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, range):
            return _timed(result, __self.deadline)
        return result


def _check_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _Refused(f"the template ran longer than {MAX_SECONDS} seconds")


def _timed(items: Iterable[T], deadline: float) -> Iterator[T]:
    for i, item in enumerate(items):
        if not i % 1000:
            _check_time(deadline)
        yield item


def _check_binop(operator: str, left: Any, right: Any) -> None:
    ints = all(isinstance(v, int) for v in (left, right))
    if operator == "**" and ints and right > 0 and abs(left) > 1:
        if right * (abs(left).bit_length() - 1) > MAX_VALUE:
            raise _Refused(f"{left} ** {right} is too large (more than {MAX_VALUE:,} bits)")
    elif operator == "*" and not ints:
        for seq, n in ((left, right), (right, left)):
            if isinstance(n, int) and hasattr(seq, "__len__") and len(seq) * n > MAX_VALUE:
                raise _Refused(f"the result of * is too long (more than {MAX_VALUE:,} items)")


# One environment per template folder keeps compiled templates for batch runs; a
# process rarely uses more than one folder, so a few are kept.
@functools.lru_cache(maxsize=8)
def _user(folder: str) -> _Sandbox:
    loader = jinja2.ChoiceLoader(
        [
            _FolderLoader(folder),
            jinja2.PrefixLoader({"qualscale": _package_loader()}),
        ]
    )
    env = _Sandbox(loader=loader, **_OPTIONS)
    _configure(env)
    return env


def render_shipped(name: str, context: Mapping[str, Any]) -> str:
    """Render the shipped template ``name`` (``plan.md.j2``) with ``context``."""
    # The shipped templates are covered by golden files; the named wrapping, which
    # only improves error messages for a user's template, would cost most of a batch.
    return _shipped().get_template(name).render(context)


def _named_context(context: Mapping[str, Any], shared: SharedParts) -> dict[str, Any]:
    common, named = shared.common, shared.named
    out = {}
    for key, value in context.items():
        if common.get(key) is value:
            if key not in named:
                named[key] = _named(value, key)
            out[key] = named[key]
        else:
            out[key] = _named(value, key)
    return out


def render_user(
    source: str | os.PathLike[str], context: Mapping[str, Any], shared: SharedParts
) -> str:
    """Render the user's template file ``source`` with ``context``, sandboxed.

    ``shared`` holds the scale's part of the context and its named wrapping, kept
    across the plans of a batch.

    Raises:
        RenderError: the template cannot be read or rendered; names file and line.
    """
    shown, path = os.fspath(source), Path(source)
    if not path.is_file():
        what = "a directory" if path.is_dir() else "no such file"
        raise RenderError(f"{shown}: cannot read the template: {what}")
    folder = os.fspath(path.resolve().parent)
    env = _user(folder)
    try:
        # Constant folding runs at compile time: ``{{ 10 ** 5000 }}`` is refused there.
        template = env.get_template(path.name)
    except jinja2.TemplateSyntaxError as exc:
        where = _shown_file(exc.filename, path, shown)
        raise RenderError(f"{where}:{exc.lineno}: {exc.message}") from None
    except UnicodeDecodeError as exc:
        raise RenderError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
    except (jinja2.TemplateError, OSError) as exc:
        raise RenderError(f"{shown}: cannot read the template: {exc}") from None
    except Exception as exc:  # compiling it failed in Jinja itself
        raise RenderError(f"{shown}: {type(exc).__name__}: {exc}") from None
    try:
        return _bounded(env, template, _named_context(context, shared))
    except jinja2.TemplateSyntaxError as exc:  # an included template
        where = _shown_file(exc.filename, path, shown)
        raise RenderError(f"{where}:{exc.lineno}: {exc.message}") from None
    except Exception as exc:
        # A template is a program of the user's: whatever fails in it is reported
        # where it happened, never as a traceback.
        file, line = _template_frame(exc)
        where = _shown_file(file, path, shown) if file else shown
        message = exc.message if isinstance(exc, jinja2.TemplateError) else None
        message = message or f"{type(exc).__name__}: {exc}"
        raise RenderError(f"{where}:{line}: {message}" if line else f"{where}: {message}") from None


def _bounded(env: _Sandbox, template: jinja2.Template, context: dict[str, Any]) -> str:
    env.deadline = time.monotonic() + MAX_SECONDS
    parts: list[str] = []
    size = 0
    stream = cast("Generator[str, None, None]", template.generate(context))
    try:
        for part in stream:
            size += len(part)
            # Thrown into the template, the error carries the line that wrote too much.
            if size > MAX_OUTPUT:
                stream.throw(_Refused(f"the template wrote more than {MAX_OUTPUT:,} characters"))
            if time.monotonic() > env.deadline:
                stream.throw(_Refused(f"the template ran longer than {MAX_SECONDS} seconds"))
            parts.append(part)
    finally:
        env.deadline = float("inf")
    return "".join(parts)


def _shown_file(filename: str | None, path: Path, shown: str) -> str:
    if filename is None:
        return shown
    try:
        if Path(filename).resolve() == path.resolve():
            return shown
        relative = os.path.relpath(filename)
    except (OSError, ValueError):  # pragma: no cover - another drive, a vanished folder
        return filename
    return filename if relative.startswith("..") else relative


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    # Jinja rewrites tracebacks so that template frames carry the template's file and
    # line (and mark their globals); the innermost such frame is where it failed.
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
