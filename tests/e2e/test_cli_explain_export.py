"""Every run writes SHAP values, error analysis and charts; ``fas-ray explain``, ``charts`` and
``export`` regenerate them, and the bundle's model reproduces the report's predictions in a
fresh process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.conftest import CliRun, cli

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_run_writes_shap_errors_and_charts(breast_cancer_run: CliRun) -> None:
    report = breast_cancer_run.report
    run_dir = breast_cancer_run.root / "runs" / breast_cancer_run.run_id
    shap = json.loads((run_dir / "shap.json").read_text())
    assert shap["rows"] == 100 and len(shap["importance"]) == 20
    assert set(shap["beeswarm"]) == {f["feature"] for f in shap["importance"]}
    errors = json.loads((run_dir / "errors.json").read_text())
    assert errors["task"] == "classification" and len(errors["confusion_matrix"]) == 2
    assert report["error_analysis"]["error_rate"] == errors["error_rate"]
    page = (run_dir / "charts" / "charts.html").read_text()
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", page)
    pngs = sorted((run_dir / "charts" / "png").glob("*.png"))
    names = {p.stem for p in pngs}
    assert {"roc", "precision_recall", "calibration", "shap_summary", "search_history"} <= names
    assert all(p.read_bytes()[:8] == PNG and p.stat().st_size > 5_000 for p in pngs)
    assert report["charts"]["png"] == sorted(names)


def test_explain_charts_and_export_round_trip(breast_cancer_run: CliRun, tmp_path: Path) -> None:
    root = str(breast_cancer_run.root)
    run_id = breast_cancer_run.run_id
    explained = cli("explain", run_id, "--data-root", root, "--sample", "60")
    assert explained.returncode == 0, explained.stderr
    assert re.search(r"SHAP \((tree|linear|ensemble|permutation), 60 rows", explained.stdout)
    charts = cli("charts", run_id, "--data-root", root, "--no-png")
    assert charts.returncode == 0, charts.stderr
    assert "charts.html" in charts.stdout

    out = tmp_path / "bundle.zip"
    exported = cli("export", run_id, "--data-root", root, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as bundle:
        names = set(bundle.namelist())
        bundle.extractall(tmp_path / "bundle")
    assert {"manifest.json", "report.json", "shap.json", "errors.json", "MODEL_CARD.md"} <= names
    assert {"model/model.pkl", "gold/holdout.parquet", "charts/charts.html"} <= names
    assert any(n.startswith("charts/png/") and n.endswith(".png") for n in names)
    card = (tmp_path / "bundle" / "MODEL_CARD.md").read_text()
    assert breast_cancer_run.report["sha256"] in card and "## Known weak slices" in card

    # a fresh process loads the bundle's model and reproduces the report's holdout predictions
    script = (
        "import pickle, polars as pl, numpy as np\n"
        "model = pickle.load(open('model/model.pkl', 'rb'))\n"
        "gold = pl.read_parquet('gold/holdout.parquet')\n"
        "pred = model.predict(gold.drop([c for c in gold.columns "
        "if c == 'target' or c.startswith(('prediction', 'proba_'))]))\n"
        "assert pred.tolist() == gold['prediction'].to_list(), 'predictions differ'\n"
        "print('same', len(pred))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path / "bundle",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("same ")


def test_explain_refuses_an_unknown_run(breast_cancer_run: CliRun) -> None:
    proc = cli("export", "no-such-run", "--data-root", str(breast_cancer_run.root))
    assert proc.returncode == 2 and "No run 'no-such-run'" in proc.stderr
    bad = cli("explain", "../etc", "--data-root", str(breast_cancer_run.root))
    assert bad.returncode == 2 and "not a valid run id" in bad.stderr
