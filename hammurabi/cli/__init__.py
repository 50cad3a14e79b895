"""The command line and everything that prints: commands, tables, diffs, progress, pages."""

import gc


def run() -> None:
    """The ``hammurabi`` command (and ``python -m hammurabi``).

    The tens of thousands of objects its imports make (modules, classes, functions) live as
    long as the process: collecting while they are made finds nothing, and once made they
    are frozen out of every later collection, the one at exit included (a tenth of a dry
    run's instructions). What the command itself makes is collected as usual.
    """
    gc.disable()
    try:
        from hammurabi.cli.main import run as run_command
    finally:
        gc.enable()
    gc.freeze()
    run_command()
