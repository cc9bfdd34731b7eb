"""The two-node loopback Ray cluster, shared by the Ray backend tests (started once, stopped at the end)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.platform.ray_cluster import LocalRayCluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalRayCluster]:
    c = LocalRayCluster().start()
    yield c
    import ray

    ray.shutdown()  # this process's connection, if a test made one
    c.stop()
