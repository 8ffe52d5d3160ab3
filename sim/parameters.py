"""Building blocks of every parameter class: strict models and documented parameters.

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

    def __reduce__(self):
        """Pickle as plain data and rebuild by validation (how scenarios reach worker processes).

        Pydantic's own unpickling assigns each object's ``__dict__`` wholesale, which loses CPython's shared-key
        instance dictionaries: every parameter read in the model's daily loop then costs more, and a run in a worker
        process took 5-10% longer than the same run in-process (docs/performance.md). Validated objects read fast.
        """
        return (_rebuild, (type(self), self.model_dump()))


def _rebuild(cls: type[StrictModel], data: dict[str, Any]) -> StrictModel:
    return cls.model_validate(data)


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
