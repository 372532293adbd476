"""GCS fault tolerance with an external Redis (Debian's ``redis-server``), on the two-node
cluster: the head's GCS is SIGKILLed and started again (``multinode-local.sh restart-gcs``, as
a supervisor would), and the cluster carries on. An actor on the worker keeps answering while
the GCS is down and keeps its state; afterwards it is found by name, new tasks run, and both
nodes are still alive. This is what the README's cluster section promises for a head restart."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import SCRIPT, free_port, start_two_nodes

pytestmark = pytest.mark.slow

DRIVER = """
import json, os, subprocess, sys, time
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

ray.init(address=os.environ["RAY_ADDRESS"], namespace="gcs-ft", logging_level="ERROR")
worker = next(n["NodeID"] for n in ray.nodes() if n["NodeManagerAddress"] == "127.0.0.3")

@ray.remote(num_cpus=0)
class Counter:
    def __init__(self):
        self.n = 0
    def add(self):
        self.n += 1
        return self.n

on_worker = NodeAffinitySchedulingStrategy(worker, soft=False)
counter = Counter.options(
    name="counter", lifetime="detached", scheduling_strategy=on_worker
).remote()
out = {"before": ray.get(counter.add.remote(), timeout=60)}
restart = subprocess.run(["bash", sys.argv[1], "restart-gcs"], capture_output=True, text=True)
assert restart.returncode == 0, restart.stdout + restart.stderr
killed = time.monotonic()
out["during"] = ray.get(counter.add.remote(), timeout=30)  # the GCS may still be down
while True:  # a lookup by name needs the GCS back, with its state
    try:
        out["by_name"] = ray.get(ray.get_actor("counter").add.remote(), timeout=10)
        break
    except Exception as exc:
        assert time.monotonic() - killed < 90, repr(exc)
        time.sleep(0.5)  # polling interval until the restarted GCS answers (90 s deadline above)
out["recovered_s"] = round(time.monotonic() - killed, 2)

@ray.remote
def square(x):
    return x * x

out["new_tasks"] = sorted(ray.get([square.remote(i) for i in range(4)], timeout=60))
out["alive"] = sorted(n["NodeManagerAddress"] for n in ray.nodes() if n["Alive"])
print(json.dumps(out))
"""


@pytest.fixture
def redis() -> Iterator[dict[str, str]]:
    """A Redis server on a free loopback port, with a password; killed afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("Redis is not installed (apt-get install -y redis-server)")
    port, password = free_port(), secrets.token_hex(8)
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--requirepass", password],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, "redis did not start"
            time.sleep(0.1)  # polling interval until Redis listens
    try:
        yield {"FAS_RAY_REDIS_ADDRESS": f"127.0.0.1:{port}", "FAS_RAY_REDIS_PASSWORD": password}
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_the_cluster_survives_a_gcs_restart_with_redis(redis: dict[str, str]) -> None:
    with start_two_nodes(redis) as env:
        env = {**env, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)
        proc = subprocess.run(
            [sys.executable, "-c", DRIVER, str(SCRIPT)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    print("GCS restart:", out)
    # one actor, never restarted: its count goes on through the GCS's death and return
    assert (out["before"], out["during"], out["by_name"]) == (1, 2, 3)
    assert out["new_tasks"] == [0, 1, 4, 9]
    assert out["alive"] == ["127.0.0.2", "127.0.0.3"]
