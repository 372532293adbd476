"""The pipeline API's logic without Ray or HTTP: run requests, run status from the data root,
safe upload names, and recurring runs. ``serve_apps/pipeline_app.py`` puts it behind FastAPI."""

from fas_ray.service._runs import (
    RunRequest,
    artifact_path,
    check_id,
    entrypoint,
    job_argv,
    list_run_ids,
    mark_cancel_requested,
    new_dataset_id,
    read_submission,
    run_status,
    safe_filename,
    settle_manifest,
    write_submission,
)
from fas_ray.service._schedule import Schedule, ScheduleRequest, ScheduleStore, due, next_fire

__all__ = [
    "RunRequest",
    "Schedule",
    "ScheduleRequest",
    "ScheduleStore",
    "artifact_path",
    "check_id",
    "due",
    "entrypoint",
    "job_argv",
    "list_run_ids",
    "mark_cancel_requested",
    "new_dataset_id",
    "next_fire",
    "read_submission",
    "run_status",
    "safe_filename",
    "settle_manifest",
    "write_submission",
]
