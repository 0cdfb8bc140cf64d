"""Processing configuration: the queue a launch uses, after the rights check.

The keys themselves (executor, NORA queues and their Slurm partitions, timeouts, the daemon) are
:class:`~nora.core.settings.ProcessingConfig`, nested in the one :class:`~nora.core.settings.Settings` as
``settings.processing`` and read the same way (``nora.toml`` in the settings' home, ``NORA_*`` variables)::

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

from sqlalchemy.orm import Session

from nora.archive.services.access import Actor, has_capability
from nora.core.errors import Forbidden, InvalidInput
from nora.core.settings import DEFAULT_QUEUE, ProcessingConfig, QueueSpec

__all__ = ["DEFAULT_QUEUE", "ProcessingConfig", "QueueSpec", "choose_queue", "import_queue"]


def choose_queue(
    session: Session, actor: Actor, config: ProcessingConfig, requested: str | None, project_default: str = ""
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


def import_queue(config: ProcessingConfig) -> str:
    """The queue of import and retrieve jobs: NORA's ``DEFAULTQUEUE_IMPORT`` (``default_queue_import``)."""
    return config.default_queue_import or "import"
