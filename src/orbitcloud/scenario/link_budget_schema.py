"""Schema of ``ground.link_budget`` (``docs/link_budget.md``): the RF terminals of the ground links.

Terminals are names in the ``link_terminals`` catalog (``orbitcloud/catalog/link_terminals.yaml``) or
mappings of terminal parameters (optionally ``base: NAME`` plus overrides); names are checked here,
parameters when the run builds the budget (``orbitcloud.network.link_budget.terminal``).
"""

from __future__ import annotations

from typing import Any, Union

from pydantic import Field, field_validator

from orbitcloud.scenario.base import Num, ScenarioModel

TerminalSpec = Union[str, dict[str, Any]]


def _check_terminal(value: object) -> object:
    from orbitcloud import catalog

    name = value if isinstance(value, str) else (value.get("base") if isinstance(value, dict) else None)
    if name is None:
        return value
    known = catalog.load("link_terminals")
    key = str(name).strip().lower()
    if key not in known:
        raise ValueError(f"unknown terminal {name!r}; known: {', '.join(sorted(known))}")
    if isinstance(value, str):
        return key
    return {**value, "base": key}


class LinkEnds(ScenarioModel):
    """The two terminals of one direction: ``space`` (on the satellites) and ``ground`` (every station)."""

    space: TerminalSpec
    ground: TerminalSpec

    @field_validator("space", "ground")
    @classmethod
    def _known(cls, value: object) -> object:
        return _check_terminal(value)


class GroundLinkBudget(ScenarioModel):
    """``downlink`` (space -> ground) and optional ``uplink`` (ground -> space) terminals; a direction
    left out keeps the fixed ``downlink_gbps``/``uplink_gbps``. ``margin_db``: required margin over the
    MODCOD threshold; ``other_losses_db``: polarisation and modem implementation losses."""

    downlink: LinkEnds | None = None
    uplink: LinkEnds | None = None
    margin_db: Num = Field(default=3.0, ge=0.0, le=30.0)
    other_losses_db: Num = Field(default=1.0, ge=0.0, le=30.0)
