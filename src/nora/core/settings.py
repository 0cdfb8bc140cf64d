"""Configuration: one ``Settings`` object from ``nora.toml`` in its home and ``NORA_*`` variables.

Built once (by ``nora serve``'s app factory, by the CLI) and passed down; nothing else in nora reads the
environment. The file is ``nora.toml`` in the settings' home: ``Settings(home=X)`` reads ``X/nora.toml``,
otherwise ``$NORA_HOME/nora.toml``. Precedence: keyword arguments, then ``NORA_*`` variables, then the file.

The processing keys live in :attr:`Settings.processing`; they may be written flat, as NORA's configuration
and earlier nora versions do (``executor = "slurm"``, ``[queues.gpu]``, ``NORA_EXECUTOR``) or in a
``[processing]`` table (``NORA_PROCESSING__EXECUTOR``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
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
    host: str = Field(
        default="127.0.0.1",
        description="interface to listen on: loopback unless configured (e.g. 0.0.0.0 or the scanner network's)",
    )
    #: who may associate: calling AE titles (``*`` any), optionally ``@address`` or ``@network``; empty: anyone
    allowed_callers: list[str] = Field(default_factory=list)
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


DEFAULT_QUEUE = "normal"


class QueueSpec(BaseModel):
    """One NORA queue: the Slurm partition it maps to and extra ``sbatch`` parameters."""

    model_config = ConfigDict(extra="forbid")

    partition: str = ""
    params: str = ""
    restricted: bool = Field(default=False, description="only users with the right QUEUE_<queue> may use it")

    @field_validator("params")
    @classmethod
    def _split(cls, value: str) -> str:
        try:
            shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"sbatch parameters {value!r} cannot be split: {exc}") from None
        return value

    def sbatch_args(self) -> list[str]:
        out = [f"--partition={self.partition}"] if self.partition else []
        return out + shlex.split(self.params)


class ProcessingConfig(BaseModel):
    """The job engine: executor, NORA queues (and their Slurm partitions), timeouts, the daemon."""

    model_config = ConfigDict(extra="forbid")

    executor: Literal["local", "slurm"] = "local"
    #: bound of the local pool of runner processes (default: the CPU count)
    local_workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1, le=1024)
    #: bound of the engine's pool for import and retrieve jobs (threads of the daemon)
    import_workers: int = Field(default=2, ge=1, le=64)
    queues: dict[str, QueueSpec] = Field(default_factory=lambda: {DEFAULT_QUEUE: QueueSpec()})
    default_queue: str = DEFAULT_QUEUE
    #: the queue of import jobs (and of autoexecution after an import); empty: ``import``
    default_queue_import: str = ""
    #: wall-time limit of a job unless its spec says otherwise (seconds)
    job_timeout_s: float = Field(default=24 * 3600, gt=0)
    #: how often the daemon dispatches and polls (seconds)
    poll_interval_s: float = Field(default=1.0, gt=0)
    #: the daemon runs inside ``nora serve`` (set false where ``nora daemon`` runs on its own)
    daemon_in_server: bool = True
    #: how often the daemon looks for leftovers of dead processes (jobs left running, staging folders)
    leftover_sweep_s: float = Field(default=60.0, gt=0)


class AssistantConfig(BaseModel):
    """The segmentation assistant: its default backend, the bounds of its sessions, the remote server."""

    model_config = ConfigDict(extra="forbid")

    #: the default backend (a project's ``assistant_backend`` setting overrides it)
    backend: Literal["builtin", "patchwork", "nninteractive"] = "builtin"
    #: sessions held at once (all users); a new one beyond it is refused (HTTP 502) until one ends or expires
    max_sessions: int = Field(default=64, ge=1, le=100000)
    #: memory of all sessions together (MB); a new one that would exceed it is refused (HTTP 502)
    memory_mb: int = Field(default=4096, ge=1)
    #: sessions per user; a user's new session beyond it ends their least recently used one
    max_per_user: int = Field(default=4, ge=1, le=1000)
    #: a session unused this long (seconds) ends
    idle_timeout_s: float = Field(default=1800.0, gt=0)
    #: the largest image (voxels) a session takes
    max_voxels: int = Field(default=512**3, ge=1)
    #: interactions one session keeps (undo or Reset to go on)
    max_interactions: int = Field(default=500, ge=1)
    #: NORA's REMOTE_SEGMENTATION_BASE_URL: the nnInteractive server of the ``nninteractive`` backend
    remote_segmentation_base_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    #: the bearer token the nnInteractive server was started with (``--api-key``), if any
    remote_segmentation_api_key: str = ""
    #: how long one remote prediction may take (seconds)
    remote_timeout_s: float = Field(default=60.0, gt=0)
    #: how long the patchwork backend's model may take to propose the initial mask (seconds)
    prior_timeout_s: float = Field(default=600.0, gt=0)


_PROCESSING_KEYS = frozenset(ProcessingConfig.model_fields)


def _lift(values: dict[str, Any]) -> dict[str, Any]:
    """Flat processing keys (``executor = ...``) into the ``processing`` table, which wins over them."""
    flat = {k: values[k] for k in _PROCESSING_KEYS & set(values)}
    if not flat:
        return values
    rest = {k: v for k, v in values.items() if k not in flat}
    nested = rest.get("processing")
    if isinstance(nested, ProcessingConfig):
        nested = nested.model_dump(exclude_unset=True)
    return {**rest, "processing": {**flat, **(nested or {})}}


class _Lifted(PydanticBaseSettingsSource):
    """A settings source whose flat processing keys are moved under ``processing`` (before sources merge)."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return _lift(self.inner())


class _FlatProcessingEnv(PydanticBaseSettingsSource):
    """``NORA_EXECUTOR``, ``NORA_LOCAL_WORKERS``, ``NORA_QUEUES`` (JSON) ...: the flat processing variables."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        environ = {k.upper(): v for k, v in os.environ.items()}
        found: dict[str, Any] = {}
        for key in _PROCESSING_KEYS:
            raw = environ.get(f"NORA_{key.upper()}")
            if raw is not None:
                found[key] = json.loads(raw) if key == "queues" else raw
        return {"processing": found} if found else {}


def _home_from_env() -> Path:
    # The one place besides pydantic-settings that looks at the environment: the data root decides
    # where nora.toml lives, so it must be known before the settings sources are built.
    return Path(os.environ.get("NORA_HOME", "./nora-data")).resolve()


class Settings(BaseSettings):
    """All of nora's configuration."""

    model_config = SettingsConfigDict(env_prefix="NORA_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=_home_from_env, description="data root (NORA_HOME)")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in NORA_HOME")
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: float = 12.0
    #: always give the session cookie the Secure flag (it gets it anyway when a request arrives over HTTPS,
    #: directly or through a trusted proxy that sends ``X-Forwarded-Proto: https``)
    cookie_secure: bool = Field(default=False, description="always set the session cookie's Secure flag")
    #: addresses (or networks) of reverse proxies whose X-Forwarded-Proto / X-Forwarded-For are believed
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    #: origins besides the server's own (``https://nora.example.org``) whose pages may send cookie requests
    trusted_origins: list[str] = Field(default_factory=list)
    #: wrong passwords in a row an account gets before each further one locks it (1 s, 2 s, 4 s ...)
    login_free_attempts: int = Field(default=5, ge=1)
    #: failed logins a client address gets within 15 minutes before it is locked
    login_address_attempts: int = Field(default=50, ge=1)
    #: the longest lock of an account after failed logins (seconds)
    login_max_lock_s: float = Field(default=900.0, gt=0)
    max_upload_mb: int = 2048
    page_size_max: int = 5000
    #: memory for the server's cache of the table, file-list and job-list answers (per server process; kept
    #: until the next write to the database, by anyone: see nora.api.cache); 0 turns it off
    response_cache_mb: int = Field(default=32, ge=0, description="response cache per server process (MB; 0: off)")
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
    #: the job engine (see :class:`ProcessingConfig`; flat keys are accepted too)
    processing: ProcessingConfig = Field(default_factory=ProcessingConfig)
    #: the segmentation assistant (``[assistant]`` in nora.toml, ``NORA_ASSISTANT__BACKEND`` ...)
    assistant: AssistantConfig = Field(default_factory=AssistantConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        given = init_settings()
        home = Path(given["home"]).expanduser().resolve() if given.get("home") else None
        toml = (home or _home_from_env()) / "nora.toml"
        sources: list[PydanticBaseSettingsSource] = [
            _Lifted(settings_cls, init_settings),
            env_settings,
            _FlatProcessingEnv(settings_cls),
        ]
        if toml.is_file():
            sources.append(_Lifted(settings_cls, TomlConfigSettingsSource(settings_cls, toml_file=toml)))
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
