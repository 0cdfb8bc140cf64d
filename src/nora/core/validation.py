"""Validating data from outside against a pydantic model: the model, or one clear :class:`InvalidInput`."""

from __future__ import annotations

from typing import TypeVar

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
