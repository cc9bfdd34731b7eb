"""Six students' Playground runs on a 2-worker pool: all six train at once in two group workers (nobody queues),
and each run's weights are bitwise the weights the same run reaches trained alone in this process."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.jobs import JobManager
from tests.jobs.test_manager import ready, wait_for

pytestmark = pytest.mark.timeout(900)
RUN = "nnlib.train.job:run_training"


def student_config(i: int) -> RunConfig:
    """Six different default-sized runs: their own seed, rate, optimizer, activation, batch size, penalty."""
    return RunConfig().replace(
        model={"activation": ("tanh", "relu", "sigmoid")[i % 3]},
        train={"seed": 100 + i, "lr": (0.03, 0.1, 0.01)[i % 3], "optimizer": ("sgd", "adam", "momentum")[i % 3],
               "batch_size": (10, 7, 25)[i % 3], "l2": 0.001 * (i % 2), "epochs": 60 + 10 * i,
               "until_paused": False, "speed": "fast", "schedule": ("constant", "step")[i % 2]},
    )


@pytest.fixture(scope="module")
def pool() -> Iterator[JobManager]:
    m = JobManager(max_workers=2, preload_torch=True, group_size=4, max_jobs_per_session=2)
    yield ready(m)
    m.shutdown()


def test_six_playground_runs_train_at_once_on_two_workers_exactly_as_alone(pool: JobManager) -> None:
    from nnlib.train.trainer import Trainer

    configs = [student_config(i).replace(train={"epochs": 300}) for i in range(6)]
    jobs = {f"s{i}": pool.submit(f"s{i}", {"config": c.to_dict()}, RUN) for i, c in enumerate(configs)}
    # dispatch happens in submit: with one job per worker the third submission would be queued
    assert [pool.view(s, j).queue_position for s, j in jobs.items()] == [None] * 6
    for s, j in jobs.items():
        wait_for(lambda s=s, j=j: pool.view(s, j).status == "finished", timeout=240.0, what=f"{s} finished")
    for (s, j), cfg in zip(jobs.items(), configs):
        view = pool.view(s, j)
        assert view.result["epochs"] == 300 and view.error is None
        alone = Trainer(cfg)
        assert alone.fast is not None  # the in-process reference trains on the same fast path
        alone.run()
        expected = {k: v.numpy() for k, v in alone.model.state_dict().items()}
        assert expected.keys() == view.result["weights"].keys()
        for k in expected:
            np.testing.assert_array_equal(view.result["weights"][k], expected[k])
        assert view.snapshot is not None and view.snapshot.get("epoch", view.snapshot.get("epochs")) is not None
