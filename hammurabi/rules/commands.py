"""Run commands inside the repository: the ``command-run`` rule and ``command-succeeds``.

Running commands is opt-in. They are refused (a ConfigError naming the rule) unless the
run's settings say ``allow_commands = true`` (the runner's settings, or a trusted
repository's own: see SECURITY.md), which runs reach through ``commands_allowed``; outside
such a block only ``HAMMURABI_ALLOW_COMMANDS=1`` in the environment allows them. The
settings of the repository being changed are never read here.

The child gets the environment without variables whose names contain ``TOKEN``,
``SECRET``, ``PASSWORD``, ``PASSWD``, ``CREDENTIAL``, ``API_KEY`` or ``PRIVATE_KEY``
(see :data:`SECRET_MARKERS`), plus the rule's own ``env``, which is passed as given.
Standard input is empty; output is captured. On a timeout the whole process group is
killed.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hammurabi.core.errors import ConfigError, RuleError
from hammurabi.core.hooks import hookimpl
from hammurabi.core.limits import check_allowed
from hammurabi.core.limits import commands_allowed as commands_allowed  # its 1.0 place
from hammurabi.core.node import as_path
from hammurabi.core.precondition import Precondition
from hammurabi.core.rule import Rule
from hammurabi.core.workspace import IGNORED_DIRS, Workspace

#: Inherited environment variables whose names contain one of these are not passed on.
SECRET_MARKERS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "API_KEY", "PRIVATE_KEY")
#: Captured output beyond this many characters per stream keeps only its end.
MAX_OUTPUT = 1 << 20
_TAIL_LINES = 15


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without secret-looking variables, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not any(marker in name.upper() for marker in SECRET_MARKERS)
    }
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class CommandOutput:
    """What a command did: its arguments, exit status and captured output."""

    command: str
    returncode: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def failure(self, timeout: float) -> str:
        """A message saying how the command failed, with the end of its output."""
        if self.timed_out:
            head = f"command {self.command!r} timed out after {timeout:g}s"
        elif self.returncode < 0:
            head = f"command {self.command!r} was killed by signal {-self.returncode}"
        else:
            head = f"command {self.command!r} exited with status {self.returncode}"
        parts = [head]
        for label, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            lines = text.rstrip().splitlines()[-_TAIL_LINES:]
            if lines:
                parts.append(f"{label} (last {len(lines)} lines):")
                parts.extend(f"  {line}" for line in lines)
        return "\n".join(parts)


def _decode(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace")
    return text[-MAX_OUTPUT:]


def _kill(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(ProcessLookupError):
        process.kill()


def run_command(
    args: list[str] | str,
    *,
    cwd: Path,
    timeout: float,
    env: Mapping[str, str] | None = None,
    shell: bool = False,
) -> CommandOutput:
    """Run a command with empty stdin and captured output; never raises for its status."""
    shown = args if isinstance(args, str) else shlex.join(args)
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            args,
            cwd=cwd,
            env=child_environment(env),
            shell=shell,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise RuleError(f"command not found: {shown!r}") from None
    except PermissionError:
        raise RuleError(f"command is not executable: {shown!r}") from None
    timed_out = False
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(process)
        try:
            out, err = process.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a daemon kept the pipes open
            out, err = b"", b""
    except BaseException:
        _kill(process)
        process.wait()
        raise
    finally:
        if process.returncode is None:
            _kill(process)
            process.wait()
    return CommandOutput(
        shown,
        process.returncode,
        _decode(out),
        _decode(err),
        time.perf_counter() - started,
        timed_out,
    )


class _CommandSpec:
    """Checked command arguments shared by the rule and the precondition."""

    def __init__(
        self,
        owner: str,
        command: str | Iterable[str],
        cwd: str | Path | None,
        timeout: float,
        env: Mapping[str, Any] | None,
        shell: bool,
    ) -> None:
        if isinstance(command, str):
            if not command.strip():
                raise ConfigError(f"{owner}: command must not be empty")
            try:
                self.args: list[str] | str = command if shell else shlex.split(command)
            except ValueError as exc:
                raise ConfigError(f"{owner}: cannot split command {command!r}: {exc}") from None
        elif isinstance(command, Iterable) and not isinstance(command, bytes | Mapping):
            items = list(command)
            if not items or not all(isinstance(i, str | int | float) for i in items):
                raise ConfigError(f"{owner}: command must be a string or a list of strings")
            parts = [str(item) for item in items]
            self.args = shlex.join(parts) if shell else parts
        else:
            raise ConfigError(f"{owner}: command must be a string or a list of strings")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ConfigError(f"{owner}: timeout must be a positive number of seconds")
        if env is not None and not isinstance(env, Mapping):
            raise ConfigError(f"{owner}: env must be a mapping of names to values")
        self.env: dict[str, str] = {}
        for name, value in (env or {}).items():
            if not isinstance(name, str) or not isinstance(value, str | int | float):
                raise ConfigError(f"{owner}: env entries must be NAME: value, not {name!r}")
            self.env[name] = str(value)
        self.cwd = as_path(cwd, "cwd", owner)
        self.timeout = float(timeout)
        self.shell = bool(shell)

    def run(self, space: Workspace, owner: str) -> CommandOutput:
        check_allowed(owner)
        cwd = space.resolve(self.cwd) if self.cwd is not None else space.root
        if not cwd.is_dir():
            raise RuleError("working directory does not exist", path=space.relative(cwd))
        return run_command(self.args, cwd=cwd, timeout=self.timeout, env=self.env, shell=self.shell)


def _tree_digest(root: Path) -> dict[str, tuple[int, str]]:
    """Each file's mode and content hash (or link target), for ``expect_changes``."""
    import hashlib  # here: its OpenSSL costs every run's start-up (runs import this module)

    digest: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS]
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            try:
                st = os.lstat(full)
                if os.path.islink(full):
                    digest[rel] = (st.st_mode, os.readlink(full))
                else:
                    with open(full, "rb") as handle:
                        digest[rel] = (st.st_mode, hashlib.file_digest(handle, "sha1").hexdigest())
            except OSError:
                continue
    return digest


class CommandRun(Rule):
    """Run a command inside the repository; fail (and roll back its changes) if it fails.

    ``command`` is a list of arguments or a string (split like a shell would, or run by
    the shell with ``shell=True``); ``cwd`` is relative to the repository root. A non-zero
    exit or a timeout fails the rule with the end of the command's output, and everything
    it changed in the tree is put back. ``expect_changes`` true fails a run that changed
    nothing, false one that changed anything (a check). The captured output is the
    rule's ``output`` (a :class:`CommandOutput`). Whether it changes nothing the second
    time depends on the command: choose one that is idempotent (a formatter, a
    generator). Needs ``allow_commands`` (see the module docstring). The engine finds the
    changes by scanning the tree, so ``.git`` is not tracked: do not commit from here.

    Example::

        CommandRun(name="formatted", command=["ruff", "format", "."], timeout=120)
    """

    id = "command-run"
    tracked = False

    def __init__(
        self,
        name: str,
        *,
        command: str | list[str],
        cwd: str | Path | None = None,
        timeout: float = 60,
        env: Mapping[str, Any] | None = None,
        shell: bool = False,
        expect_changes: bool | None = None,
        preconditions: Iterable[Precondition] = (),
        pipe: Rule | None = None,
        children: Iterable[Rule] = (),
    ) -> None:
        super().__init__(name, None, preconditions=preconditions, pipe=pipe, children=children)
        owner = f"rule {name!r}"
        self.spec = _CommandSpec(owner, command, cwd, timeout, env, shell)
        if expect_changes is not None and not isinstance(expect_changes, bool):
            raise ConfigError(f"{owner}: expect_changes must be true, false or left out")
        self.expect_changes = expect_changes

    def task(self) -> CommandOutput:
        space = self.workspace
        owner = f"rule {self.name!r}"
        before = _tree_digest(space.root) if self.expect_changes is not None else None
        output = self.spec.run(space, owner)
        if not output.ok:
            raise RuleError(output.failure(self.spec.timeout))
        if before is not None:
            after = _tree_digest(space.root)
            changed = sorted(
                k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
            )
            if self.expect_changes and not changed:
                raise RuleError(f"command {output.command!r} changed nothing (expect_changes)")
            if self.expect_changes is False and changed:
                listed = ", ".join(changed[:5]) + (", ..." if len(changed) > 5 else "")
                raise RuleError(
                    f"command {output.command!r} changed {listed} (expect_changes is false)"
                )
        return output


class CommandSucceeds(Precondition):
    """Does the command exit with status 0 (run in the repository, like ``command-run``)?

    A non-zero exit answers False; a command that cannot start or times out is an error.
    It should only look, never change files: preconditions are not tracked or rolled back.
    Needs ``allow_commands`` like ``command-run``.

    Example::

        CommandSucceeds(["test", "-f", "setup.py"])
    """

    id = "command-succeeds"

    def __init__(
        self,
        command: str | list[str],
        *,
        cwd: str | Path | None = None,
        timeout: float = 60,
        env: Mapping[str, Any] | None = None,
        shell: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(name, command)
        self.spec = _CommandSpec(type(self).__name__, command, cwd, timeout, env, shell)

    def task(self) -> bool:
        output = self.spec.run(self.workspace, f"precondition {self.name!r}")
        if output.timed_out:
            raise RuleError(output.failure(self.spec.timeout))
        return output.returncode == 0


@hookimpl
def hammurabi_rule_types() -> tuple[type[Rule], ...]:
    return (CommandRun,)


@hookimpl
def hammurabi_precondition_types() -> tuple[type[Precondition], ...]:
    return (CommandSucceeds,)
