"""Processing configuration: the executor, the NORA queues and how they map to Slurm.

:class:`ProcessingSettings` extends the one :class:`~nora.core.settings.Settings` object with the keys of
this feature, read the same way (``nora.toml`` in NORA_HOME and ``NORA_*`` variables)::

    executor = "slurm"              # or "local" (default)
    local_workers = 4               # bound of the local pool (default: CPU count)
    default_queue = "normal"
    default_queue_import = "import"
    [queues.normal]                 # NORA queue -> Slurm partition + extra sbatch parameters
    partition = "debug"
    params = "--mem 4G --cpus-per-task 1"
    [queues.gpu]
    partition = "any"
    params = "--gres gpu:1"
    restricted = true               # needs the capability right QUEUE_gpu
"""

from __future__ import annotations

import os
import shlex
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from nora.archive.services.access import Actor, has_capability
from nora.core.errors import Forbidden, InvalidInput
from nora.core.settings import Settings

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


class ProcessingSettings(Settings):
    """:class:`Settings` plus the processing keys (same sources, same precedence)."""

    executor: Literal["local", "slurm"] = "local"
    local_workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1, le=1024)
    queues: dict[str, QueueSpec] = Field(default_factory=lambda: {DEFAULT_QUEUE: QueueSpec()})
    default_queue: str = DEFAULT_QUEUE
    default_queue_import: str = ""
    #: wall-time limit of a job unless its spec says otherwise (seconds)
    job_timeout_s: float = Field(default=24 * 3600, gt=0)
    #: how often the daemon dispatches and polls (seconds)
    poll_interval_s: float = Field(default=1.0, gt=0)
    #: the daemon runs inside ``nora serve`` (set false where ``nora daemon`` runs on its own)
    daemon_in_server: bool = True

    @classmethod
    def of(cls, settings: Settings) -> ProcessingSettings:
        """The processing settings beside an existing :class:`Settings` (its values win)."""
        if isinstance(settings, ProcessingSettings):
            return settings
        return cls(**settings.model_dump(exclude_unset=True))


def choose_queue(
    session: Session, actor: Actor, config: ProcessingSettings, requested: str | None, project_default: str = ""
) -> str:
    """The queue a launch uses (requested, else the project's, else the default) after the rights check."""
    name = requested or project_default or config.default_queue
    spec = config.queues.get(name)
    if spec is None:
        known = ", ".join(sorted(config.queues)) or "none"
        raise InvalidInput(f"unknown queue {name!r}: configured queues are {known}")
    if spec.restricted and not has_capability(session, actor, f"QUEUE_{name}"):
        raise Forbidden(f"user {actor.username!r} has no right QUEUE_{name} for queue {name!r}")
    return name
