"""``fas-ray serve``: the pipeline API and the model app on a real Ray Serve, over real HTTP.

One server for the module (its own embedded Ray with the dashboard, so runs are real Ray jobs),
with an API token and a 1 MB upload limit from a test Serve config. Data sets are uploaded,
run, polled and predicted through HTTP, and the predictions are compared with
``fas-ray predict`` on the same data root.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_blobs

from tests.e2e.conftest import FAS_RAY, cli, serving

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RUN_DEADLINE_S = 300.0


@dataclass(frozen=True)
class Server:
    url: str
    root: Path
    client: httpx.Client


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("serve"), TOKEN, max_upload_mb=1, schedule_tick_s=1) as (
        url,
        root,
    ):
        with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
            yield Server(url, root, client)


def _csv(frame: Any) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _upload(server: Server, name: str, data: bytes) -> httpx.Response:
    response = server.client.post("/datasets", files={"file": (name, data, "text/csv")})
    assert response.headers.get("content-type", "").startswith("application/json"), response.text
    return response


def _wait_run(server: Server, run_id: str, until: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_DEADLINE_S
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = server.client.get(f"/runs/{run_id}")
        assert response.status_code == 200, response.text
        status = response.json()
        if status["status"] in until:
            return status
        time.sleep(1.0)  # polling interval while the job runs
    logs = server.client.get(f"/runs/{run_id}/logs").json()["logs"]
    raise AssertionError(f"run {run_id} still {status.get('status')}: {status}\n{logs[-3000:]}")


def _train(server: Server, name: str, frame: Any, trials: int = 6) -> dict[str, Any]:
    up = _upload(server, f"{name}.csv", _csv(frame))
    assert up.status_code == 201, up.text
    run = server.client.post(
        "/runs",
        json={
            "dataset_id": up.json()["dataset_id"],
            "target": "target",
            "time_budget_s": 240,
            "max_trials": trials,
        },
    )
    assert run.status_code == 202, run.text
    status = _wait_run(server, run.json()["run_id"], {"completed", "failed", "cancelled"})
    assert status["status"] == "completed", status
    return status


@pytest.fixture(scope="module")
def trained(server: Server) -> dict[str, dict[str, Any]]:
    """One completed run per task type, trained through the API (sequentially)."""
    return {
        "binary": _train(server, "breast_cancer", load_breast_cancer(as_frame=True).frame),
        "multiclass": _train(server, "iris", load_iris(as_frame=True).frame),
        "regression": _train(server, "diabetes", load_diabetes(as_frame=True).frame),
    }


def test_token_is_required_but_not_for_health(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    for path in ("/runs", "/models/", "/schedules"):
        bare = httpx.get(f"{server.url}{path}")
        assert bare.status_code == 401, path
        assert "Bearer" in bare.json()["detail"]
        wrong = httpx.get(f"{server.url}{path}", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    assert server.client.get("/runs").status_code == 200
    docs = httpx.get(f"{server.url}/openapi.json")
    assert docs.status_code == 200 and "/runs/{run_id}" in docs.json()["paths"]
    # CORS is closed: no browser page from another origin may call the API
    preflight = httpx.options(
        f"{server.url}/runs",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    cross = server.client.get("/runs", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in cross.headers


def test_upload_profile_traversal_and_limits(server: Server) -> None:
    frame = load_iris(as_frame=True).frame
    up = _upload(server, "../../../escape.csv", _csv(frame))
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["filename"] == "escape.csv" and body["rows"] == 150
    assert body["profile"]["rows"] == 150
    stored = list((server.root / "uploads").rglob("escape.csv"))
    assert [p.parent.parent for p in stored] == [server.root / "uploads"]
    assert not (server.root.parent / "escape.csv").exists()

    dots = _upload(server, "..", _csv(frame))
    assert dots.status_code == 422 and "no usable characters" in dots.json()["detail"]
    big = _upload(server, "big.csv", b"a,b\n" + b"1,2\n" * 400_000)  # 1.6 MB > 1 MB
    assert big.status_code == 413 and "1 MB" in big.json()["detail"]
    junk = _upload(server, "junk.csv", bytes(range(256)) * 10)
    assert junk.status_code == 422

    def chunks() -> Iterator[bytes]:
        yield b"--b\r\nContent-Disposition: form-data; name=file; filename=x.csv\r\n\r\n"
        yield b"a,b\n1,2\n\r\n--b--\r\n"

    chunked = server.client.post(
        "/datasets", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert chunked.status_code == 411
    leftovers = [p.name for p in (server.root / "uploads").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_fifty_uploads_at_once_are_all_stored_whole(server: Server) -> None:
    frames = [load_iris(as_frame=True).frame.head(20 + i) for i in range(50)]

    async def upload_all() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(
            base_url=server.url, headers=AUTH, timeout=120, limits=limits
        ) as client:
            calls = [
                client.post("/datasets", files={"file": (f"part{i}.csv", _csv(f), "text/csv")})
                for i, f in enumerate(frames)
            ]
            return list(await asyncio.gather(*calls))

    answers = asyncio.run(upload_all())
    assert [r.status_code for r in answers] == [201] * 50, [r.text for r in answers[:3]]
    bodies = [r.json() for r in answers]
    assert len({b["dataset_id"] for b in bodies}) == 50
    assert [b["rows"] for b in bodies] == [20 + i for i in range(50)]  # each its own file
    listed = {d["dataset_id"] for d in server.client.get("/datasets").json()}
    assert {b["dataset_id"] for b in bodies} <= listed
    leftovers = [p.name for p in (server.root / "uploads").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_runs_complete_and_serve_their_results(
    server: Server, trained: dict[str, dict[str, Any]]
) -> None:
    status = trained["binary"]
    run_id = status["run_id"]
    assert status["trials_done"] >= 1 and status["best_score"] is not None
    assert {"ingest", "etl", "search", "register", "report"} <= {
        s["name"] for s in status["stages"] if s["status"] == "completed"
    }
    assert status["model_id"] and status["holdout_metrics"]
    leaderboard = server.client.get(f"/runs/{run_id}/leaderboard").json()
    assert len(leaderboard) >= 1 and {"learner", "score"} <= set(leaderboard[0])
    report = server.client.get(f"/runs/{run_id}/report").json()
    assert report["model_id"] == status["model_id"]
    assert server.client.get(f"/runs/{run_id}/profile").json()["rows"] == 569
    explain = server.client.get(f"/runs/{run_id}/explain").json()
    assert len(explain["shap_importance"]) >= 5
    gold = server.client.get(f"/runs/{run_id}/artifacts/gold_holdout")
    assert gold.status_code == 200 and gold.content[:4] == b"PAR1"
    missing = server.client.get(f"/runs/{run_id}/artifacts/nope")
    assert missing.status_code == 404 and "has no artifact" in missing.json()["detail"]
    bad_id = server.client.get("/runs/..evil")
    assert bad_id.status_code == 422 and "not a valid run id" in bad_id.json()["detail"]
    listed = [r["run_id"] for r in server.client.get("/runs").json()]
    assert run_id in listed
    logs = server.client.get(f"/runs/{run_id}/logs").json()["logs"]
    assert "run id:" in logs  # the job's own output, as the Ray dashboard shows it


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_predictions_match_the_predict_command(
    server: Server, trained: dict[str, dict[str, Any]], kind: str, tmp_path: Path
) -> None:
    frame = {
        "binary": load_breast_cancer,
        "multiclass": load_iris,
        "regression": load_diabetes,
    }[kind](as_frame=True).frame
    sample = pl.from_pandas(frame.drop(columns="target").head(20))
    model_id = trained[kind]["model_id"]
    response = server.client.post(f"/models/{model_id}/predict", json={"rows": sample.to_dicts()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_id"] == model_id and body["version"] >= 1

    sample.write_csv(tmp_path / "sample.csv")
    out = tmp_path / "pred.csv"
    proc = cli(
        "predict",
        "--model",
        model_id,
        str(tmp_path / "sample.csv"),
        "--out",
        str(out),
        "--data-root",
        str(server.root),
    )
    assert proc.returncode == 0, proc.stderr
    expected = pl.read_csv(out)
    if kind == "regression":
        np.testing.assert_allclose(body["predictions"], expected["prediction"], rtol=1e-9)
        assert "probabilities" not in body
    else:
        assert body["predictions"] == expected["prediction"].to_list()
        proba = np.asarray(body["probabilities"])
        for i, label in enumerate(body["classes"]):
            np.testing.assert_allclose(proba[:, i], expected[f"proba_{label}"], rtol=1e-9)
    # a bare list of records is accepted too
    bare = server.client.post(f"/models/{model_id}/predict", json=sample.head(2).to_dicts())
    assert bare.status_code == 200 and len(bare.json()["predictions"]) == 2


def test_model_metadata_and_schema_errors(
    server: Server, trained: dict[str, dict[str, Any]]
) -> None:
    model_id = trained["binary"]["model_id"]
    listed = [m["model_id"] for m in server.client.get("/models/").json()]
    assert set(listed) >= {t["model_id"] for t in trained.values()}
    info = server.client.get(f"/models/{model_id}").json()
    assert info["lineage"]["run_id"] == trained["binary"]["run_id"]
    assert info["lineage"]["source"].endswith("breast_cancer.csv")
    assert info["metrics"] and info["classes"] == [0, 1]
    names = [c["name"] for c in info["input_schema"]]
    assert "mean_radius" in names

    row = pl.from_pandas(load_breast_cancer(as_frame=True).frame.head(1)).drop("target")
    good = row.to_dicts()[0]
    bad = {k: v for k, v in good.items() if k != "mean texture"}
    bad["mean radius"] = "large"
    bad["colour"] = "red"
    response = server.client.post(f"/models/{model_id}/predict", json={"rows": [bad]})
    assert response.status_code == 422
    problems = {(e["field"], e["problem"]) for e in response.json()["errors"]}
    assert problems == {
        ("mean_texture", "missing"),
        ("mean radius", "wrong_type"),
        ("colour", "unknown"),
    }
    detail = response.json()["detail"]
    assert "mean_texture" in detail and "colour" in detail
    nothing = server.client.post("/models/no-such-model/predict", json={"rows": [good]})
    assert nothing.status_code == 404 and "no-such-model" in nothing.json()["detail"]


def test_a_served_model_is_never_replaced_under_its_id(
    server: Server, trained: dict[str, dict[str, Any]]
) -> None:
    """Registering another model under a served id, while clients predict, is refused: the
    clients see the same model throughout, and its file and record do not change."""
    import hashlib
    import threading

    from fas_ray.exceptions import RegistryError
    from fas_ray.pipeline import registry_for
    from fas_ray.storage import DataRoot

    model_id = trained["binary"]["model_id"]
    registry = registry_for(DataRoot(server.root))
    info = registry.info(model_id)
    digest = hashlib.sha256(Path(info.path).read_bytes()).hexdigest()
    rows = pl.from_pandas(load_breast_cancer(as_frame=True).frame.head(5)).drop("target")
    body = {"rows": rows.to_dicts()}
    first = server.client.post(f"/models/{model_id}/predict", json=body)
    assert first.status_code == 200, first.text
    answers: list[tuple[int, Any]] = []

    def predict() -> None:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=60) as client:
            for _ in range(30):
                r = client.post(f"/models/{model_id}/predict", json=body)
                answers.append((r.status_code, r.json().get("probabilities")))

    clients = [threading.Thread(target=predict) for _ in range(4)]
    for thread in clients:
        thread.start()
    other = registry.load(trained["regression"]["model_id"])
    with pytest.raises(RegistryError, match=f"'{model_id}' is already registered"):
        registry.save(
            model_id,
            other,
            run_id="intruder",
            task="regression",
            target="t",
            learner="x",
            metrics={},
        )
    for thread in clients:
        thread.join(timeout=120)
    assert len(answers) == 4 * 30
    assert {status for status, _ in answers} == {200}
    assert all(p == first.json()["probabilities"] for _, p in answers)
    assert hashlib.sha256(Path(info.path).read_bytes()).hexdigest() == digest
    assert registry.info(model_id) == info


def test_model_app_forecasts_like_the_predict_command(server: Server, tmp_path: Path) -> None:
    """A forecast model (trained by the CLI on the served data root, no Ray needed) answers
    POST /forecast with what ``fas-ray predict --horizon`` writes; its rows route refuses."""
    t = np.arange(84)
    y = 50 + 0.3 * t + 5 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(size=84)
    months = [f"{2015 + i // 12}-{i % 12 + 1:02d}-01" for i in range(84)]
    csv = tmp_path / "sales.csv"
    pl.DataFrame({"month": months, "sales": y}).write_csv(csv)
    root = str(server.root)
    run = cli(
        "run",
        str(csv),
        "--target",
        "sales",
        "--horizon",
        "6",
        "--no-chart-png",
        "--data-root",
        root,
    )
    assert run.returncode == 0, run.stderr
    model_id = run.stdout.strip().splitlines()[-1].split()[-1]
    out = tmp_path / "next.csv"
    proc = cli(
        "predict", "--model", model_id, "--horizon", "9", "--out", str(out), "--data-root", root
    )
    assert proc.returncode == 0, proc.stderr
    expected = pl.read_csv(out)

    response = server.client.post(f"/models/{model_id}/forecast", json={"horizon": 9})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_id"] == model_id and body["horizon"] == 9
    got = pl.DataFrame(body["forecast"])
    assert got["month"].to_list() == expected["month"].cast(pl.String).to_list()
    np.testing.assert_allclose(got["forecast"], expected["forecast"], rtol=1e-9)
    np.testing.assert_allclose(got["hi_95"], expected["hi_95"], rtol=1e-9)
    # newer history: the forecast starts after its last month
    newer = [
        {"month": m, "sales": v} for m, v in zip(months + ["2022-01-01"], [*y, y[-1]], strict=True)
    ]
    later = server.client.post(f"/models/{model_id}/forecast", json={"history": newer})
    assert later.status_code == 200, later.text
    assert later.json()["forecast"][0]["month"].startswith("2022-02-01")
    info = server.client.get(f"/models/{model_id}").json()
    assert info["task"] == "forecast" and info["forecast"]["horizon"] == 6
    rows = server.client.post(f"/models/{model_id}/predict", json={"rows": newer[:1]})
    assert rows.status_code == 422 and "/forecast" in rows.json()["detail"]
    short = server.client.post(f"/models/{model_id}/forecast", json={"horizon": 0})
    assert short.status_code == 422


def test_model_app_predicts_clusters_like_the_predict_command(
    server: Server, tmp_path: Path
) -> None:
    """A clustering model (trained by the CLI on the served data root, no Ray needed) answers
    POST /predict with each row's cluster, as ``fas-ray predict`` writes it; it has no SHAP."""
    X, _ = make_blobs(n_samples=200, centers=3, n_features=2, cluster_std=0.6, random_state=0)
    csv = tmp_path / "points.csv"
    pl.DataFrame({"x": X[:, 0], "y": X[:, 1]}).write_csv(csv)
    root = str(server.root)
    run = cli("run", str(csv), "--task", "clustering", "--no-chart-png", "--data-root", root)
    assert run.returncode == 0, run.stderr
    model_id = run.stdout.strip().splitlines()[-1].split()[-1]
    out = tmp_path / "clusters.csv"
    proc = cli("predict", "--model", model_id, str(csv), "--out", str(out), "--data-root", root)
    assert proc.returncode == 0, proc.stderr
    expected = pl.read_csv(out)["cluster"].to_list()
    rows = pl.read_csv(csv).to_dicts()
    response = server.client.post(f"/models/{model_id}/predict", json={"rows": rows})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == expected and "probabilities" not in response.json()
    info = server.client.get(f"/models/{model_id}").json()
    assert info["task"] == "clustering" and info["clusters"] == [0, 1, 2]
    explain = server.client.post(f"/models/{model_id}/explain", json={"rows": rows[:1]})
    assert explain.status_code == 422 and "clustering model" in explain.json()["detail"]


def test_model_app_explains_rows(server: Server, trained: dict[str, dict[str, Any]]) -> None:
    model_id = trained["regression"]["model_id"]
    rows = pl.from_pandas(load_diabetes(as_frame=True).frame.drop(columns="target").head(3))
    response = server.client.post(f"/models/{model_id}/explain", json={"rows": rows.to_dicts()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["explainer"] in ("tree", "linear", "ensemble", "permutation")
    assert len(body["rows"]) == 3
    first = body["rows"][0]
    assert len(first["contributions"]) == 10  # diabetes has 10 features, all shown
    # for a regressor every explainer explains the value itself: it adds up to the prediction
    predicted = server.client.post(f"/models/{model_id}/predict", json={"rows": rows.to_dicts()})
    total = first["base_value"] + sum(c["shap"] for c in first["contributions"])
    assert total == pytest.approx(predicted.json()["predictions"][0], rel=1e-4)
    too_many = server.client.post(f"/models/{model_id}/explain", json=rows.to_dicts() * 40)
    assert too_many.status_code == 422
    summary = server.client.get(f"/models/{model_id}/explain").json()
    assert summary["model_id"] == model_id and len(summary["importance"]) == 10
    run_shap = server.client.get(f"/runs/{trained['regression']['run_id']}/shap").json()
    assert summary["importance"] == run_shap["importance"]


def test_model_app_reports_input_drift(server: Server, trained: dict[str, dict[str, Any]]) -> None:
    model_id = trained["regression"]["model_id"]
    rows = pl.from_pandas(load_diabetes(as_frame=True).frame.drop(columns="target").head(200))
    shifted = rows.with_columns(pl.col("bmi") + 0.2)  # far above every training value
    for part in (shifted.head(100), shifted.tail(100)):
        response = server.client.post(f"/models/{model_id}/predict", json=part.to_dicts())
        assert response.status_code == 200, response.text
    drift = server.client.get(f"/models/{model_id}/drift")
    assert drift.status_code == 200, drift.text
    body = drift.json()
    assert body["model_id"] == model_id and body["rows"] >= 200 and body["level"] == "major"
    first = body["features"][0]
    assert first["name"] == "bmi" and first["level"] == "major" and first["psi"] > 1.0
    assert {f["name"] for f in body["features"]} == set(rows.columns)
    assert server.client.get("/models/no-such-model/drift").status_code == 404
    assert httpx.get(f"{server.url}/models/{model_id}/drift").status_code == 401


def test_failed_run_reports_its_reason(server: Server) -> None:
    up = _upload(server, "iris.csv", _csv(load_iris(as_frame=True).frame))
    refused = server.client.post(  # known before any job: refused at submission
        "/runs", json={"dataset_id": up.json()["dataset_id"], "target": "no_such_column"}
    )
    assert refused.status_code == 422 and "no_such_column" in refused.json()["detail"]
    # every feature an identifier: found only when the job builds the features
    ids = "".join(f"row-{i},{i % 2}\n" for i in range(40)).encode()
    only_ids = _upload(server, "ids.csv", b"code,target\n" + ids)
    run = server.client.post(
        "/runs", json={"dataset_id": only_ids.json()["dataset_id"], "target": "target"}
    )
    assert run.status_code == 202, run.text
    status = _wait_run(server, run.json()["run_id"], {"completed", "failed", "cancelled"})
    assert status["status"] == "failed"
    assert "No usable feature columns remain" in status["error"]
    unknown = server.client.post("/runs", json={"dataset_id": "up-none", "target": "y"})
    assert unknown.status_code == 422 and "POST /datasets" in unknown.json()["detail"]


def test_cancel_a_running_job(server: Server) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    up = _upload(server, "bc.csv", _csv(frame))
    run = server.client.post(
        "/runs",
        json={"dataset_id": up.json()["dataset_id"], "target": "target", "time_budget_s": 600},
    )
    assert run.status_code == 202, run.text
    run_id = run.json()["run_id"]
    _wait_run(server, run_id, {"running"})
    deadline = time.monotonic() + 120
    while server.client.get(f"/runs/{run_id}").json()["stage"] in (None, "ingest"):
        assert time.monotonic() < deadline, "the run never got past ingest"
        time.sleep(0.5)  # polling interval while the run starts
    stop = server.client.delete(f"/runs/{run_id}")
    assert stop.status_code == 202 and stop.json()["stopping"] is True
    status = _wait_run(server, run_id, {"cancelled", "completed", "failed"})
    assert status["status"] == "cancelled", status
    # the job records the interruption, or the API settles the manifest once the job ended
    manifest = json.loads((server.root / "runs" / run_id / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert any(word in manifest["error"] for word in ("interrupted", "cancelled")), manifest[
        "error"
    ]


def test_a_schedule_fires_and_is_removed(server: Server) -> None:
    up = _upload(server, "iris.csv", _csv(load_iris(as_frame=True).frame))
    bad = server.client.post(
        "/schedules", json={"cron": "every minute", "run": {"target": "target", "url": "https://x"}}
    )
    assert bad.status_code == 422
    never = server.client.post(
        "/schedules", json={"cron": "0 0 30 2 *", "run": {"target": "t", "url": "https://x"}}
    )
    assert never.status_code == 422 and "never fires" in never.text
    made = server.client.post(
        "/schedules",
        json={
            "cron": "* * * * *",
            "run": {
                "dataset_id": up.json()["dataset_id"],
                "target": "target",
                "max_trials": 2,
                "time_budget_s": 60,
            },
        },
    )
    assert made.status_code == 201, made.text
    schedule_id = made.json()["schedule_id"]
    assert (server.root / "schedules.json").is_file()
    deadline = time.monotonic() + 90
    while True:  # cron fires on the minute; the ticker looks every second
        schedules = server.client.get("/schedules").json()
        if schedules[0]["runs"] >= 1:
            break
        assert time.monotonic() < deadline, schedules
        time.sleep(1.0)  # polling interval until the minute turns
    assert server.client.delete(f"/schedules/{schedule_id}").status_code == 204
    run_id = schedules[0]["last_run_id"]
    status = server.client.get(f"/runs/{run_id}").json()
    assert status["schedule_id"] == schedule_id
    server.client.delete(f"/runs/{run_id}")  # no need to let it finish
    assert server.client.get("/schedules").json() == []


def test_off_loopback_without_token_is_refused() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FAS_RAY_API_TOKEN"}
    proc = subprocess.run(
        [FAS_RAY, "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "requires an API token" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
