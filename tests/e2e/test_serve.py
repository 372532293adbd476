"""``fas-ray serve`` answers predictions with the same numbers as ``fas-ray predict``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import polars as pl
import pytest

from tests.e2e.conftest import FAS_RAY, CliRun, cli

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[str], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"fas-ray serve exited early:\n{proc.stdout.read() if proc.stdout else ''}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)  # polling interval while waiting on the condition above
    raise AssertionError("fas-ray serve did not become healthy in time")


@pytest.fixture(scope="module")
def served(breast_cancer_run: CliRun) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [FAS_RAY, "serve", "--port", str(port), "--data-root", str(breast_cancer_run.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, deadline_s=120)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_serve_matches_predict_command(
    served: str, breast_cancer_run: CliRun, tmp_path: Path
) -> None:
    source = pl.read_csv(breast_cancer_run.csv).head(25)
    rows = source.drop("target").to_dicts()

    response = httpx.post(
        f"{served}/models/{breast_cancer_run.model_id}/predict", json={"rows": rows}, timeout=60
    )
    assert response.status_code == 200, response.text
    body = response.json()

    sample = tmp_path / "sample.csv"
    source.drop("target").write_csv(sample)
    out = tmp_path / "pred.csv"
    proc = cli(
        "predict",
        "--model",
        breast_cancer_run.model_id,
        str(sample),
        "--out",
        str(out),
        "--data-root",
        str(breast_cancer_run.root),
    )
    assert proc.returncode == 0, proc.stderr
    expected = pl.read_csv(out)
    assert body["predictions"] == expected["prediction"].to_list()
    assert body["classes"] == [0, 1]
    np.testing.assert_allclose(
        np.asarray(body["probabilities"])[:, 1], expected["proba_1"].to_numpy(), rtol=1e-9
    )


def test_serve_errors_are_clear(served: str, breast_cancer_run: CliRun) -> None:
    missing = httpx.post(f"{served}/models/no-such-model/predict", json={"rows": [{"a": 1}]})
    assert missing.status_code == 404
    assert "no-such-model" in missing.json()["detail"]

    bad = httpx.post(
        f"{served}/models/{breast_cancer_run.model_id}/predict", json={"rows": [{"a": 1}]}
    )
    assert bad.status_code == 422
    assert "mean_radius" in bad.json()["detail"]
