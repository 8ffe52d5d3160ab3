"""Shared building blocks of the scenario schema: strict models and documented parameters.

Every parameter is declared with ``param(...)``: a default, a unit and a source or rationale, which end up in the
JSON Schema (editor tooltips), in ``pkosim show`` and in the ODD parameter table. Unknown keys are errors
(``extra="forbid"``), because a misspelt key that is silently ignored is the worst kind of scenario bug.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """A scenario section: unknown keys rejected, no NaN or infinity, values immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


def param(default: Any, *, unit: str, description: str, source: str, **constraints: Any) -> Any:
    """A model parameter: default, unit and source travel with it into the JSON Schema and the docs."""
    return Field(
        default,
        description=f"{description} Unit: {unit}. Source: {source}",
        json_schema_extra={"unit": unit, "source": source},
        **constraints,
    )


def share(default: float, *, description: str, source: str) -> Any:
    """A share or probability in [0, 1]."""
    return param(default, unit="share 0-1", description=description, source=source, ge=0, le=1)
