"""Keep secrets and control characters out of everything Hammurabi prints or writes.

Every secret Hammurabi knows is registered here: the GitHub token or App key, the QuestDB
password or token, the values of the environment variables the runner marks secret
(``secret_env``), and whatever a plugin registers. :func:`mask` replaces each with ``***``
wherever text leaves the process: the terminal (the CLI wraps stdout and stderr), logs,
reports, pull request bodies and metrics rows, so text from custom rules and plugins is
covered too. :func:`clean` also makes control characters visible (``\\x1b``), so a name or a
message from a law file or a repository cannot drive the terminal or break Markdown.
"""

from __future__ import annotations

import contextlib
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hammurabi.core.results import RunResult

MASK = "***"
#: Values shorter than this are not masked (they would hide ordinary text, not a secret).
MIN_LENGTH = 4
#: Shorter secrets are masked only where they stand as a whole word.
_WORDLESS = 12
#: Environment variables that hold a secret whatever the settings say.
SECRET_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN", "HAMMURABI_GITHUB_TOKEN")
#: Control characters other than newline and tab: C0, DEL and C1 (ESC and CSI among them).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: ``password=...;`` and ``token=...;`` in a QuestDB client configuration string.
_CONF_SECRET = re.compile(r"(?:^|;)\s*(?:password|token|token_x|token_y)=((?:[^;]|;;)*)")

_known: set[str] = set()
_pattern: re.Pattern[str] | None = None
_lock = threading.Lock()


def register(*values: str | None) -> None:
    """Remember secrets to mask; a multi-line value (a PEM key) also masks each long line."""
    global _pattern
    added = False
    with _lock:
        for value in values:
            if not value or not isinstance(value, str):
                continue
            lines = [line.strip() for line in value.splitlines() if "-----" not in line]
            for part in (value.strip(), *(line for line in lines if len(line) >= 16)):
                if len(part) >= MIN_LENGTH and part not in _known:
                    _known.add(part)
                    added = True
        if added:
            ordered = sorted(_known, key=len, reverse=True)
            _pattern = re.compile("|".join(_regex(secret) for secret in ordered))


def _regex(secret: str) -> str:
    """A short secret (a password like ``quest``) is masked as a whole word only."""
    if len(secret) >= _WORDLESS:
        return re.escape(secret)
    return rf"(?<!\w){re.escape(secret)}(?!\w)"


def known() -> list[str]:
    """Every registered secret, longest first."""
    with _lock:
        return sorted(_known, key=len, reverse=True)


def forget() -> None:
    """Drop every registered secret (tests)."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None


def mask(text: str) -> str:
    """``text`` with every known secret replaced by ``***``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret in ``text`` (and every one Hammurabi knows) with ``***``."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return mask(text)


def neutralise(text: str) -> str:
    """``text`` with control characters (escape sequences, bells, carriage returns) shown
    as ``\\xNN`` instead of acting on the terminal; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def clean(text: str) -> str:
    """Masked and neutralised: for names and messages shown to people."""
    return neutralise(mask(text))


def conf_secrets(conf: str) -> list[str]:
    """The passwords and tokens in a QuestDB client configuration string."""
    return [match.group(1).replace(";;", ";") for match in _CONF_SECRET.finditer(conf)]


def scrub(result: RunResult) -> RunResult:
    """Clean the texts of a run's record in place (errors, reasons, names: masked and
    neutralised), before they are shown, reported or handed to plugins such as metrics."""
    result.error = _cleaned(result.error)
    for law in result.laws:
        law.name, law.description = clean(law.name), clean(law.description)
        law.error, law.reason = _cleaned(law.error), _cleaned(law.reason)
    for rule in result.walk():
        rule.rule, rule.law = clean(rule.rule), clean(rule.law)
        rule.error, rule.reason = _cleaned(rule.error), _cleaned(rule.reason)
    return result


def _cleaned(text: str | None) -> str | None:
    return clean(text) if text else text


class _MaskingStream:
    """A text stream that masks secrets in what is written to it, and neutralises control
    characters when it is not a terminal (where only colours would use them)."""

    def __init__(self, inner: IO[str]) -> None:
        self._inner = inner
        try:
            self._terminal = inner.isatty()
        except (AttributeError, ValueError):
            self._terminal = False

    def write(self, text: str) -> int:
        if isinstance(text, str):
            self._inner.write(mask(text) if self._terminal else clean(text))
        else:
            self._inner.write(text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextlib.contextmanager
def output_masked() -> Iterator[None]:
    """Mask secrets in everything written to stdout and stderr inside the block."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, _MaskingStream):
        sys.stdout = _MaskingStream(sys.stdout)
    if not isinstance(sys.stderr, _MaskingStream):
        sys.stderr = _MaskingStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
