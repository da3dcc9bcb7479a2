"""``orbitcloud size`` (placeholder registration; the command body lives in this module)."""

from __future__ import annotations

import typer


def size(
    config: str = typer.Argument(None, help="Sizing inputs YAML (optional)."),
) -> None:
    """Closed-form design and economics of an orbital data center."""
    raise typer.Exit(1)
