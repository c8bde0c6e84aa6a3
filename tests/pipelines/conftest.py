"""Fixtures of the pipeline tests: a Dask cluster on loopback for the DaskRunner tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def dask_cluster():
    """A ``distributed.LocalCluster`` of two worker processes on 127.0.0.1, without a dashboard (no fixed port to
    collide on); Beam's DaskRunner reaches it by ``--dask_client_address``."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is not installed (pip install 'rt2data[dask]')")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield cluster
    # Beam's DaskRunner opens Clients of its own and leaves them open: close them before the cluster goes away.
    from distributed.client import _global_clients

    for other in reversed(list(_global_clients.values())):  # LIFO: each Client restores the dask config it found
        other.close()
    client.close()
    cluster.close()
