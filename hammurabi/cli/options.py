"""What the commands share: the ``--format`` option and the JSON it selects."""

from enum import StrEnum
from typing import Annotated, Any

import typer


class Format(StrEnum):
    text = "text"
    json = "json"


FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", metavar="text|json", help="Output format.")
]


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON (``--format json``; what JSON cannot hold, as text)."""
    import json  # here: a command that prints text does not import it

    typer.echo(json.dumps(data, indent=2, default=str))
