"""A GPU queue (NORA's SLURM_QUEUES_PARAMS: a partition and sbatch parameters such as --gres gpu:1 --mem)
reaches Slurm: the job runs in that partition with the GPU and the memory it asked for."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nora.core.settings import QueueSpec
from tests.support.slurmcluster import SlurmCluster
from tests.unit.processing.conftest import World, build_world


@pytest.fixture
def gworld(slurm_cluster: SlurmCluster, tmp_path: Path) -> World:
    world = build_world(f"sqlite:///{tmp_path / 'nora.sqlite'}", tmp_path / "home", "slurm")
    gpu = QueueSpec(partition="fast", params="--gres gpu:1 --mem 64M --cpus-per-task 1")
    world.config.processing.queues["gpujobs"] = gpu
    return world


def test_a_gpu_queue_passes_its_partition_and_gres_to_slurm(gworld: World) -> None:
    batch = gworld.launch(
        {
            "jobs": [
                {
                    "job": "bash",
                    "script": 'echo "cuda=${CUDA_VISIBLE_DEVICES:-none} part=$SLURM_JOB_PARTITION"',
                }
            ]
        },
        rows=["S01#MR1"],
        queue="gpujobs",
    )
    engine = gworld.engine([batch])
    (job,) = gworld.run(batch, engine=engine, timeout=90)
    assert job.state == "d", job.message
    shown = subprocess.run(
        ["scontrol", "show", "job", job.external_id.partition("_")[0]], capture_output=True, text=True
    )
    text = shown.stdout
    assert "Partition=fast" in text and "TresPerNode=gres:gpu:1" in text and "MinMemoryNode=64M" in text, text
    log = Path(job.log_path).read_text()
    assert "part=fast" in log and "cuda=0" in log, log  # Slurm hands the job its GPU (device 0)
