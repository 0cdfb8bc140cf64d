"""Configuration: one ``Settings`` object from ``nora.toml`` in NORA_HOME and ``NORA_*`` variables.

Nothing else in nora reads the environment.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class DicomNodeSettings(BaseModel):
    """One DICOM receive node (NORA's ``storescp`` entry): C-ECHO and C-STORE SCP on ``port``."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="logical node name (spool folder)")
    ae_title: str = Field(pattern=r"^[ -~]{1,16}$", description="the node's AE title")
    port: int = Field(ge=1, le=65535)
    host: str = Field(default="0.0.0.0", description="interface to listen on")  # noqa: S104 - scanners connect
    timeout: float = Field(default=15.0, gt=0, description="end-of-study timeout in seconds")
    delete_after_import: bool = False
    project: str = Field(default="", description="project that studies sent to ae_title are imported into")
    #: called AE title → project; studies sent to these AE titles go to that project
    routes: dict[str, str] = Field(default_factory=dict)
    #: "store" imports what arrives; "move" only receives for PACS retrieve jobs; "both" does both
    type: Literal["store", "move", "both"] = "store"


class PacsSettings(BaseModel):
    """A remote DICOM node (NORA's ``pacsquery`` / ``pacs`` entries) used for query, retrieve and send."""

    ae_title: str = Field(pattern=r"^[ -~]{1,16}$")
    host: str
    port: int = Field(ge=1, le=65535)
    #: our AE title towards this PACS (default: the first DICOM node's AE title, else NORA)
    calling_ae: str = Field(default="", pattern=r"^[ -~]{0,16}$")
    #: the DICOM node (by name) that receives C-MOVE results; empty: the first node of type move/both
    move_node: str = ""
    retrieve: Literal["move", "get"] = "move"
    description: str = ""
    #: seconds to wait for a response (C-FIND, C-MOVE) before giving up
    max_wait: float = Field(default=60.0, gt=0)


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
    #: DICOM receive nodes (``[[dicom_nodes]]`` in nora.toml); started by ``nora dicom-node`` and ``nora serve``
    dicom_nodes: list[DicomNodeSettings] = Field(default_factory=list)
    #: whether ``nora serve`` runs the configured DICOM nodes in-process
    dicom_nodes_in_serve: bool = True
    #: remote PACS nodes by name (``[pacs.NAME]`` in nora.toml); rights PACSQUERY_<name> and PACS_<name>
    pacs: dict[str, PacsSettings] = Field(default_factory=dict)

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

    @field_validator("pacs")
    @classmethod
    def _pacs_names(cls, value: dict[str, PacsSettings]) -> dict[str, PacsSettings]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", name):
                raise ValueError(f"PACS name {name!r}: use 1-32 letters, digits, '_' or '-'")
        return value

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
