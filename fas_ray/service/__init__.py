"""The pipeline API's logic without Ray or HTTP: run requests, run status from the data root,
safe upload names, uploaded data sets, and recurring runs. ``serve_apps/pipeline_app.py`` puts
it behind FastAPI."""

from fas_ray.service._datasets import (
    dataset_record,
    holdout_rows,
    list_datasets,
    preview_rows,
    save_dataset_record,
    target_task,
)
from fas_ray.service._precheck import precheck_run
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
    "dataset_record",
    "due",
    "entrypoint",
    "holdout_rows",
    "precheck_run",
    "job_argv",
    "list_datasets",
    "list_run_ids",
    "mark_cancel_requested",
    "new_dataset_id",
    "next_fire",
    "preview_rows",
    "read_submission",
    "run_status",
    "safe_filename",
    "save_dataset_record",
    "settle_manifest",
    "target_task",
    "write_submission",
]
