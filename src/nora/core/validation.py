"""Validating data from outside against a pydantic model: the model, or one clear :class:`InvalidInput`."""

from __future__ import annotations

from typing import Annotated, TypeVar

from annotated_types import Interval
from pydantic import BaseModel, ValidationError

from nora.core.errors import InvalidInput, validation_problems

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], raw: object, what: str, *, whole: str = "") -> M:
    """``model`` validated from ``raw``, or :class:`InvalidInput` ``invalid <what>: <every problem>``.

    ``whole`` names the value itself in a problem that has no location (a model validator's message).
    """
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(f"invalid {what}: {validation_problems(exc.errors(), whole)}") from None


#: the largest value of the id columns (32-bit INTEGER on PostgreSQL; a larger id in a query is an
#: "integer out of range" error there), well inside what a JSON number carries exactly to every client
MAX_INT = 2**31 - 1
#: an integer from outside: ids, offsets and limits are declared with it, so 2**63 is a validation error
#: (422), never an overflow deep in a query (500)
DbInt = Annotated[int, Interval(ge=-MAX_INT, le=MAX_INT)]
