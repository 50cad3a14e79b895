"""Reading and writing text files while keeping their encoding, BOM and newline style."""

from __future__ import annotations

import codecs
from typing import NamedTuple

from hammurabi.core.errors import RuleError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class Text(NamedTuple):
    """A decoded text file: content with ``\\n`` newlines plus how to encode it back."""

    content: str
    encoding: str = "utf-8"
    bom: bytes = b""
    newline: str = "\n"

    def with_content(self, content: str) -> Text:
        return self._replace(content=content)

    def encode(self) -> bytes:
        content = self.content
        if self.newline != "\n":
            content = content.replace("\n", self.newline)
        return self.bom + content.encode(self.encoding)


def decode(data: bytes, encoding: str | None = None, *, path: str | None = None) -> Text:
    """Decode file bytes, detecting a BOM and the newline style.

    Without a BOM or an explicit encoding the file must be UTF-8; anything else is refused
    with an error suggesting the ``encoding`` argument, rather than guessed.
    """
    bom = b""
    if encoding is None:
        for mark, name in _BOMS:
            if data.startswith(mark):
                bom, encoding = mark, name
                break
        else:
            encoding = "utf-8"
        if not bom and b"\x00" in data[:8192]:
            raise RuleError("is a binary file, not text", path=path)
    try:
        content = data[len(bom) :].decode(encoding)
    except UnicodeDecodeError as exc:
        raise RuleError(
            f"is not valid {encoding} text (byte {exc.start}); pass encoding= to read it",
            path=path,
        ) from None
    except LookupError:
        raise RuleError(f"unknown encoding {encoding!r}", path=path) from None
    newline = "\n"
    crlf, lf, cr = content.count("\r\n"), content.count("\n"), content.count("\r")
    if crlf and crlf * 2 >= lf:
        newline = "\r\n"
    elif cr and not lf:
        newline = "\r"
    if "\r" in content:
        content = content.replace("\r\n", "\n").replace("\r", "\n")
    return Text(content, encoding, bom, newline)
