"""The base of every scenario mapping and its number type.

:class:`ScenarioModel`: unknown keys refused, values frozen, no NaN or infinity.

:data:`Num`: a float that is not a YAML boolean. pydantic's lax mode reads ``true``/``false`` as 1/0
in a float field, so ``inclination_deg: yes`` would load as 1 deg; every quantity field of the
scenario is a ``Num`` and refuses them (counts are strict integers already). Numeric strings stay
accepted, because PyYAML reads ``1e3`` (no decimal point) as text.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


Num = Annotated[float, BeforeValidator(_not_bool)]


def _seconds(value: object) -> object:
    """A time in seconds: a number, or a duration text (``90s``, ``15min``, ``100ms``; ``docs/scenario.md``)."""
    if isinstance(value, str):
        from orbitcloud.scenario.durations import parse_duration_s

        return parse_duration_s(value)
    return _not_bool(value)


#: A time [s]: a number of seconds or a duration text, wherever a key ends in ``_s``.
Seconds = Annotated[float, BeforeValidator(_seconds)]


class ScenarioModel(BaseModel):
    """Base of the scenario's pydantic models (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
