"""Configuration: one ``Settings`` object from ``nora.toml`` in NORA_HOME and ``NORA_*`` variables.

Nothing else in nora reads the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _home_from_env() -> Path:
    # The one place besides pydantic-settings that looks at the environment: the data root decides
    # where nora.toml lives, so it must be known before the settings sources are built.
    return Path(os.environ.get("NORA_HOME", "./nora-data")).resolve()


class Settings(BaseSettings):
    """All of nora's configuration."""

    model_config = SettingsConfigDict(env_prefix="NORA_", extra="ignore")

    home: Path = Field(default_factory=_home_from_env, description="data root (NORA_HOME)")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in NORA_HOME")
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: float = 12.0
    cookie_secure: bool = Field(default=False, description="set the Secure flag (behind HTTPS)")
    max_upload_mb: int = 2048
    page_size_max: int = 5000
    #: the user the CLI acts as; defaults to the system admin created at init
    user: str = ""
    token: str = ""
    project: str = Field(default="", description="default project for the CLI (NORA's DPXproject)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = _home_from_env() / "nora.toml"
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def projects_dir(self) -> Path:
        return self.home / "projects"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'nora.sqlite'}"


@lru_cache(maxsize=1)
def get_settings(**overrides: Any) -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings`` instead)."""
    return Settings(**overrides)
