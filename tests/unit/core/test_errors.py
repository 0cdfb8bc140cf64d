"""Errors become HTTP statuses and CLI exit codes by class: every NoraError subclass maps deliberately."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import nora
from nora.api.errors import STATUS, install, status_for
from nora.cli.main import EXIT_CODES, EXIT_ERROR, exit_code
from nora.core.errors import (
    CorruptFile,
    Forbidden,
    InvalidInput,
    NoraError,
    NotAuthenticated,
    NotFound,
    TooLarge,
    Unavailable,
    category,
    validation_problems,
)


def _every_subclass() -> list[type[NoraError]]:
    """Every NoraError subclass defined anywhere in nora (each module imported first)."""
    for module in pkgutil.walk_packages(nora.__path__, "nora."):
        if ".migrations" not in module.name:  # Alembic's env.py runs migrations when imported
            importlib.import_module(module.name)
    found: list[type[NoraError]] = []
    todo = [NoraError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c.__module__.startswith("nora.")]


SUBCLASSES = [c for c in _every_subclass() if c is not NoraError]


def test_the_enumeration_reaches_errors_of_every_layer() -> None:
    names = {c.__name__ for c in SUBCLASSES}
    assert {"InvalidInput", "TooLarge", "SlurmError", "ConverterMissing"} <= names


@pytest.mark.parametrize("cls", SUBCLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_error_class_maps_to_a_status_and_an_exit_code_through_a_category(cls: type[NoraError]) -> None:
    # mapped through NoraError itself means nobody decided: derive from a category instead
    assert category(cls, STATUS) is not NoraError, f"{cls.__name__} has no HTTP status of its own category"
    assert category(cls, EXIT_CODES) is not NoraError, f"{cls.__name__} has no exit code of its own category"
    assert 400 <= status_for(cls) <= 599
    assert exit_code(cls("x")) in range(1, 64)


def test_a_new_subclass_inherits_its_base_class_status_and_exit_code() -> None:
    class StaleHandle(NotFound):
        pass

    class QuotaExceeded(TooLarge):
        pass

    assert status_for(StaleHandle) == 404 and exit_code(StaleHandle("x")) == 3
    assert status_for(QuotaExceeded) == 413 and exit_code(QuotaExceeded("x")) == 2
    assert status_for(CorruptFile) == 400 and status_for(Unavailable) == 502
    assert status_for(NoraError) == 500 and exit_code(NoraError("x")) == EXIT_ERROR


def test_the_api_answers_with_the_class_status_and_detail() -> None:
    class Gone(NotFound):
        pass

    app = FastAPI()
    install(app)

    @app.get("/gone")
    def gone() -> None:
        raise Gone("the thing is gone")

    @app.get("/anonymous")
    def anonymous() -> None:
        raise NotAuthenticated("log in")

    @app.get("/forbidden")
    def forbidden() -> None:
        raise Forbidden("no right")

    client = TestClient(app)
    answer = client.get("/gone")
    assert (answer.status_code, answer.json()) == (404, {"detail": "the thing is gone"})
    answer = client.get("/anonymous")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/forbidden").status_code == 403


def test_validation_problems_wording() -> None:
    errors = [
        {"loc": ("body", "jobs", 0, "name"), "msg": "Field required"},
        {"loc": (), "msg": "Value error, give either level and width, or min"},
    ]
    assert validation_problems(errors) == "body.jobs.0.name: Field required; give either level and width, or min"
    assert validation_problems(errors, "settings", skip=("body",)) == (
        "jobs.0.name: Field required; settings: give either level and width, or min"
    )
    assert issubclass(TooLarge, InvalidInput)


def test_validated_names_what_was_invalid_and_every_problem() -> None:
    from pydantic import BaseModel, model_validator

    from nora.core.validation import validated

    class Window(BaseModel):
        level: float
        width: float = 1.0

        @model_validator(mode="after")
        def _positive(self) -> Window:
            if self.width <= 0:
                raise ValueError("width must be positive")
            return self

    assert validated(Window, {"level": 3}, "window").level == 3
    with pytest.raises(InvalidInput, match=r"^invalid window: level: Field required$"):
        validated(Window, {}, "window")
    with pytest.raises(InvalidInput, match=r"^invalid window: preset: width must be positive$"):
        validated(Window, {"level": 1, "width": 0}, "window", whole="preset")
