"""Pipeline runs as Ray jobs (the Jobs API of the cluster's dashboard).

A run submitted this way is an ordinary ``fas-ray run`` command line that Ray's job supervisor
starts next to the cluster, so it shows in the Ray dashboard with its logs, and ``stop``
cancels it like ``ray job stop``.
"""

from __future__ import annotations

import os
import time
from typing import Any

import ray
from ray.job_submission import JobStatus, JobSubmissionClient

from fas_ray.exceptions import PipelineError

__all__ = ["AGENT_WAIT_S", "RunJobs", "cluster_info", "submission_id_for"]

AGENT_WAIT_S = 60.0  # how long a submission waits for the job agent of a starting cluster
# (20 s was seen to be too short once, on a 2-core machine under load)


def submission_id_for(run_id: str) -> str:
    """The Ray job submission id of a run."""
    return f"fas-ray-{run_id}"


def _dashboard_address(address: str | None) -> str:
    """An explicit address, else ``RAY_API_SERVER_ADDRESS`` / ``RAY_ADDRESS``, else the GCS
    address of the Ray this process is connected to (the client finds the dashboard from it)."""
    if address:
        return address
    for name in ("RAY_API_SERVER_ADDRESS", "RAY_ADDRESS"):
        if os.environ.get(name):
            return os.environ[name]
    if ray.is_initialized():
        # the dashboard publishes its address in the GCS; read it with this worker's own client
        from ray._private import ray_constants
        from ray.experimental import internal_kv

        url = internal_kv._internal_kv_get(
            ray_constants.DASHBOARD_ADDRESS, namespace=ray_constants.KV_NAMESPACE_DASHBOARD
        )
        if url:
            return f"http://{url.decode()}"
        return str(ray.get_runtime_context().gcs_address)
    raise PipelineError("No Ray cluster to submit jobs to; start one or set RAY_ADDRESS.")


class RunJobs:
    """Submit, watch and stop pipeline runs as Ray jobs.

    Args:
        address: the dashboard URL (``http://127.0.0.1:8265``) or a GCS address; ``None``
            finds the cluster this process runs in.
        env: environment variables for the job (e.g. ``RAY_AUTH_MODE``, ``PATH``).
    """

    def __init__(self, address: str | None = None, env: dict[str, str] | None = None) -> None:
        self._address = address
        self._env = dict(env or {})
        self._client: JobSubmissionClient | None = None

    @property
    def client(self) -> JobSubmissionClient:
        if self._client is None:
            try:
                self._client = JobSubmissionClient(_dashboard_address(self._address))
            except Exception as exc:  # the SDK raises ConnectionError, RuntimeError, ...
                raise PipelineError(
                    f"Cannot reach the Ray Jobs API ({exc}); the cluster needs its dashboard."
                ) from None
        return self._client

    def submit(self, run_id: str, entrypoint: str, metadata: dict[str, str]) -> str:
        """Start ``entrypoint`` as the job of ``run_id``; returns its submission id.

        Raises:
            PipelineError: the Jobs API refused or could not be reached.
        """
        deadline = time.monotonic() + AGENT_WAIT_S
        while True:
            try:
                return str(
                    self.client.submit_job(
                        entrypoint=entrypoint,
                        submission_id=submission_id_for(run_id),
                        metadata={"fas_ray_run_id": run_id, **metadata},
                        runtime_env={"env_vars": self._env} if self._env else None,
                    )
                )
            except PipelineError:
                raise
            except Exception as exc:  # the SDK raises RuntimeError, requests' errors, ...
                # a cluster that just started has no job agent for a few seconds: wait for it
                if "No available agent" in str(exc) and time.monotonic() < deadline:
                    time.sleep(1.0)  # polling interval while the agent starts
                    continue
                raise PipelineError(f"The Ray Jobs API did not take run {run_id}: {exc}") from None

    @staticmethod
    def _record(info: Any) -> dict[str, Any]:
        return {
            "submission_id": info.submission_id,
            "status": str(info.status.value if hasattr(info.status, "value") else info.status),
            "message": info.message,
            "start_time": info.start_time,
            "end_time": info.end_time,
        }

    def info(self, run_id: str) -> dict[str, Any] | None:
        """The job's status and message; ``None`` when there is no such job.

        Raises:
            PipelineError: the Jobs API could not be asked.
        """
        try:
            return self._record(self.client.get_job_info(submission_id_for(run_id)))
        except PipelineError:
            raise
        except RuntimeError as exc:
            if "does not exist" in str(exc) or "not found" in str(exc).lower():
                return None
            raise PipelineError(f"The Ray Jobs API failed for run {run_id}: {exc}") from None
        except Exception as exc:
            raise PipelineError(f"The Ray Jobs API failed for run {run_id}: {exc}") from None

    def all(self) -> dict[str, dict[str, Any]]:
        """Every fas-ray run's job, by run id, from one call."""
        try:
            jobs = self.client.list_jobs()
        except PipelineError:
            raise
        except Exception as exc:
            raise PipelineError(f"The Ray Jobs API could not list jobs: {exc}") from None
        prefix = submission_id_for("")
        return {
            str(j.submission_id)[len(prefix) :]: self._record(j)
            for j in jobs
            if j.submission_id and str(j.submission_id).startswith(prefix)
        }

    def stop(self, run_id: str) -> bool:
        """Ask the job to stop; False when it had already ended or does not exist."""
        try:
            return bool(self.client.stop_job(submission_id_for(run_id)))
        except RuntimeError:
            return False

    def logs(self, run_id: str) -> str:
        try:
            return str(self.client.get_job_logs(submission_id_for(run_id)))
        except Exception:  # no job, or the Jobs API is down: no logs to show
            return ""

    @staticmethod
    def is_terminal(status: str) -> bool:
        return status in {s.value for s in JobStatus if s.is_terminal()}


def cluster_info(jobs: RunJobs | None = None) -> dict[str, Any]:
    """What the studio's sidebar shows about the Ray this process is connected to: its address,
    the dashboard URL (from the Jobs API client), the alive nodes and the CPUs / GPUs in all.

    Never raises: a part that cannot be read is ``None``, with the reason in ``error``.
    """
    import ray

    out: dict[str, Any] = {
        "address": None,
        "dashboard_url": None,
        "nodes": None,
        "cpus": None,
        "gpus": None,
        "memory_gb": None,
    }
    try:
        if ray.is_initialized():
            out["address"] = str(ray.get_runtime_context().gcs_address)
            alive = [n for n in ray.nodes() if n.get("Alive")]
            total = ray.cluster_resources()
            out.update(
                nodes=len(alive),
                cpus=float(total.get("CPU", 0.0)),
                gpus=float(total.get("GPU", 0.0)),
                memory_gb=round(float(total.get("memory", 0.0)) / 2**30, 2),
            )
        if jobs is not None:
            out["dashboard_url"] = str(jobs.client.get_address())
    except Exception as exc:  # the sidebar shows what it can
        out["error"] = f"{type(exc).__name__}: {exc}"[:300]
    return out
