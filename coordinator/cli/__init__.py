"""The `ouen` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

app = typer.Typer(help="ouen (応援): disaster-time mutual-aid coordination.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


def main() -> None:
    """Entry point of the `ouen` console script."""
    from coordinator.cli import commands  # noqa: F401  (registers the command groups)

    app()
