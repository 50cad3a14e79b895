"""Render Jinja2 templates into files, in Jinja2's sandbox.

Templates come from a folder inside the repository (``template_dir``, default the root)
or from an installed package (``package="my_plugin:templates"``); with both, the
repository's folder wins, so a repository can override a plugin's template. Includes and
``extends`` resolve the same way. Undefined variables are errors (``StrictUndefined``), a
template's trailing newline is kept, and nothing is HTML-escaped.

Jinja2 is imported only when a template is rendered, so loading laws stays fast.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hammurabi.core import limits
from hammurabi.core.errors import ConfigError, HammurabiError, RuleError
from hammurabi.core.hooks import hookimpl
from hammurabi.core.limits import LimitError, check_size
from hammurabi.core.node import as_path
from hammurabi.rules.common import PathRule

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

_PACKAGE = re.compile(r"^[A-Za-z_][\w.]*(?::[^:]+)?$")
_Source = tuple[str, str, Callable[[], bool]]


class TemplateRendered(PathRule):
    """Ensure a file holds exactly what a Jinja2 template renders to.

    ``path`` is the destination; ``template`` the template's name (``ci/build.yml.j2``,
    relative to ``template_dir`` or to the package folder); ``context`` the variables. The
    output is written as UTF-8, keeping an existing file's mode; rendering the same inputs
    again changes nothing. Syntax errors, undefined variables, missing templates and
    operations the sandbox refuses fail the rule with one line naming the template (and
    line), and the destination is left untouched.

    Example::

        TemplateRendered(name="CI workflow", path=".github/workflows/ci.yml",
                         template="ci.yml.j2", template_dir=".hammurabi/templates",
                         context={"python": "3.11"})
    """

    id = "template-rendered"

    def __init__(
        self,
        name: str,
        path: str | Path | None = None,
        *,
        template: str,
        context: Mapping[str, Any] | None = None,
        template_dir: str | Path | None = None,
        package: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name, path, **kwargs)
        where = f"rule {name!r}"
        if not isinstance(template, str) or not template.strip():
            raise ConfigError(f"{where}: template must be a template name like 'ci.yml.j2'")
        if ".." in template.replace("\\", "/").split("/") or template.startswith("/"):
            raise ConfigError(f"{where}: template {template!r} must be relative, without '..'")
        if context is not None and not (
            isinstance(context, Mapping) and all(isinstance(k, str) for k in context)
        ):
            raise ConfigError(f"{where}: context must be a mapping of variable names to values")
        if package is not None and (not isinstance(package, str) or not _PACKAGE.match(package)):
            raise ConfigError(f"{where}: package must look like 'my_plugin:templates'")
        self.template = template
        self.context = dict(context or {})
        self.template_dir = as_path(template_dir, "template_dir", where)
        self.package = package

    def task(self) -> Path:
        space = self.workspace
        real = space.resolve(self.path)
        if real.is_dir():
            raise RuleError("is a directory, not a file", path=space.relative(self.path))
        try:
            text = self.render()
        except HammurabiError as exc:
            exc.message = " ".join(exc.message.split())  # one line, whatever Jinja said
            exc.args = (exc.message,)
            raise exc.located(path=space.relative(self.path)) from None
        space.write_bytes(self.path, text.encode("utf-8"))
        return self.path

    def render(self) -> str:
        """Render the template with the context (inside a run: it reads the repository)."""
        import jinja2

        loaded: set[str] = set()
        env = _limited_environment()(
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
        )
        try:
            env.loader = jinja2.FunctionLoader(self._source_function(jinja2, env, loaded))
            return _rendered(env.get_template(self.template), self.context)
        except jinja2.TemplateSyntaxError as exc:
            name = exc.name or self.template
            raise ConfigError(f"template {name!r}, line {exc.lineno}: {exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise ConfigError(
                f"template {exc.name!r} not found{_where(exc, loaded)} in {self._origin()}"
            ) from None
        except jinja2.exceptions.SecurityError as exc:
            raise ConfigError(
                f"template {_at(exc, loaded, self.template)}: refused by the sandbox: {exc}"
            ) from None
        except jinja2.UndefinedError as exc:
            raise ConfigError(f"template {_at(exc, loaded, self.template)}: {exc}") from None
        except HammurabiError:
            raise
        except MemoryError:
            raise LimitError(
                f"template {self.template!r} needs more memory than there is "
                "(limits.template_bytes)"
            ) from None
        except Exception as exc:
            raise RuleError(
                f"template {_at(exc, loaded, self.template)}: {type(exc).__name__}: {exc}"
            ) from None

    def _origin(self) -> str:
        places = []
        if self.template_dir is not None or self.package is None:
            places.append(f"{(self.template_dir or Path('.')).as_posix()!r} (repository)")
        if self.package is not None:
            places.append(f"package {self.package!r}")
        return " or ".join(places)

    def _source_function(
        self, jinja2: Any, env: Any, loaded: set[str]
    ) -> Callable[[str], _Source | None]:
        """Find a template in the repository folder, then in the package."""
        space = self.workspace
        folder = None
        if self.template_dir is not None or self.package is None:
            folder = space.resolve(self.template_dir or ".")
            if not folder.is_dir():
                raise ConfigError(f"template_dir {space.relative(folder)!r} is not a directory")
        package_loader = None
        if self.package is not None:
            module, _, sub = self.package.partition(":")
            try:
                package_loader = jinja2.PackageLoader(module, sub or "templates")
            except (ImportError, ValueError) as exc:
                message = f"cannot load templates from package {self.package!r}: {exc}"
                raise ConfigError(message) from None

        def load(name: str) -> _Source | None:
            loaded.add(name)
            if folder is not None:
                candidate = folder.joinpath(*jinja2.loaders.split_template_path(name))
                real = Path(os.path.realpath(candidate))
                if real.is_file():
                    if real != space.root and space.root not in real.parents:
                        raise ConfigError(f"template {name!r} points outside the repository")
                    limit = limits.current().file_bytes
                    check_size(real.stat().st_size, limit, f"template {name!r}", "file_bytes")
                    try:
                        source = real.read_text(encoding="utf-8")
                    except UnicodeDecodeError:
                        raise ConfigError(f"template {name!r} is not UTF-8 text") from None
                    return source, name, lambda: True
            if package_loader is not None:
                try:
                    source, _, uptodate = package_loader.get_source(env, name)
                except jinja2.TemplateNotFound:
                    return None
                return source, name, uptodate
            return None

        return load


def _limited_environment() -> type[SandboxedEnvironment]:
    """The sandbox, refusing arithmetic that would build a string or list over the limit."""
    from jinja2.sandbox import SandboxedEnvironment

    class Limited(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            limit = limits.current().template_bytes
            if limit and _too_long(operator, left, right, limit):
                raise _too_big(limit)
            return super().call_binop(context, operator, left, right)

    return Limited


def _too_long(operator: str, left: Any, right: Any, limit: int) -> bool:
    """Whether ``left operator right`` would build a value over ``limit`` (bytes, roughly)."""
    sequences = (str, bytes, list, tuple)
    if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        return abs(left) >= 2 and abs(left).bit_length() * right > limit * 8
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, sequences) and isinstance(count, int) and len(seq) * count > limit:
                return True
    if operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        return len(left) + len(right) > limit
    return False


def _too_big(limit: int) -> LimitError:
    return LimitError(
        f"the template would render more than the limit of {limit:,} bytes (limits.template_bytes)"
    )


def _rendered(template: Any, context: Mapping[str, Any]) -> str:
    """Render piece by piece, stopping as soon as the text passes ``limits.template_bytes``."""
    limit = limits.current().template_bytes
    parts: list[str] = []
    size = 0
    for part in template.generate(context):
        size += len(part)
        if limit and size > limit:
            raise _too_big(limit)
        parts.append(part)
    return "".join(parts)


def _frames(exc: BaseException, loaded: set[str]) -> list[traceback.FrameSummary]:
    """The traceback frames inside templates (Jinja rewrites them to template lines)."""
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in loaded]


def _at(exc: BaseException, loaded: set[str], default: str) -> str:
    frames = _frames(exc, loaded)
    if not frames:
        return repr(default)
    return f"{frames[-1].filename!r}, line {frames[-1].lineno}"


def _where(exc: BaseException, loaded: set[str]) -> str:
    frames = _frames(exc, loaded)
    if not frames:
        return ""
    return f" (included from {frames[-1].filename!r}, line {frames[-1].lineno})"


@hookimpl
def hammurabi_rule_types() -> tuple[type[PathRule], ...]:
    return (TemplateRendered,)
