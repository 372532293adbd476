"""The studio (the web page at ``/``) on a real ``fas-ray serve``, driven by Playwright with
Debian's Chromium: token prompt, upload, profile, a run with live progress, the leaderboard,
one row explained, the bundle downloaded, the predict form against ``fas-ray predict``, a
scrape of a local site, a bad upload's one-line error, labels and keyboard use.

Every request the page makes to anything but the app's own origin fails the test (route
interception). Screenshots of each view land under pytest's tmp path.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sklearn.datasets import load_breast_cancer

from fas_ray.ingest.scrape._browser import CHROMIUM_ARGS, chromium_path
from tests.e2e.conftest import cli, serving
from tests.unit.scrape._site import TABLE_PAGES, Site

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TOKEN = "studio-token-456"
RUN_TIMEOUT_MS = 300_000


@dataclass
class Studio:
    url: str
    root: Path
    shots: Path
    page: Any
    foreign: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # what the page's CSP refused

    def ready(self) -> None:
        """The page loaded with the token, for a test run on its own (the module's first test
        does this through the token form)."""
        if self.page.url.startswith("about:"):
            self.page.goto(self.url + "/")
            self.page.get_by_label("API token").fill(TOKEN)
            self.page.keyboard.press("Enter")
            self.page.locator("#token-form").wait_for(state="hidden")

    def view(self, name: str) -> None:
        self.ready()
        self.page.get_by_role("button", name=re.compile(rf"^\d {name}$")).click()
        self.page.wait_for_selector(f"#view-{name.lower()}:not([hidden])")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("studio")
    with serving(base, TOKEN, max_upload_mb=2, allow_private_urls=True) as (url, root):
        yield url, root


@pytest.fixture(scope="module")
def studio(server: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if not os.path.exists(executable):
        pytest.fail(f"Chromium is missing at {executable}; run `apt-get install -y chromium`.")
    url, root = server
    shots = tmp_path_factory.mktemp("screenshots")
    with sync_playwright() as p:
        # the scraper's proxy settings would send loopback through a dead proxy: not here,
        # where route interception is the guard
        args = [a for a in CHROMIUM_ARGS if not a.startswith("--proxy")]
        browser = p.chromium.launch(executable_path=executable, args=args)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        studio = Studio(url, root, shots, context.new_page())

        def guard(route: Any) -> None:
            if route.request.url.startswith(url + "/") or route.request.url == url:
                route.continue_()
            else:
                studio.foreign.append(route.request.url)
                route.abort()

        context.route("**/*", guard)

        def csp(message: Any) -> None:
            if "Content Security Policy" in message.text:
                studio.blocked.append(message.text)

        studio.page.on("console", csp)
        studio.page.set_default_timeout(30_000)
        try:
            yield studio
        finally:
            print(f"studio screenshots: {shots}")
            context.close()
            browser.close()
    assert not studio.foreign, f"the page asked for other origins: {studio.foreign}"
    assert not studio.blocked, f"the page's CSP refused: {studio.blocked}"


def _until(page: Any, ok: str, error: str, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait for ``ok`` to show; fail at once with the page's message if ``error`` shows."""
    page.wait_for_selector(f"{ok}:not([hidden]), {error}:not([hidden])", timeout=timeout_ms)
    message = page.locator(error)
    assert message.is_hidden(), message.inner_text()


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _frame() -> pl.DataFrame:
    data = load_breast_cancer(as_frame=True).frame.sample(n=300, random_state=0)
    data = data[[*data.columns[:6], "target"]]
    return pl.from_pandas(data)


def test_the_page_asks_for_the_token_then_shows_the_cluster(studio: Studio) -> None:
    page = studio.page
    page.goto(studio.url + "/")
    page.get_by_label("API token").wait_for()
    page.get_by_label("API token").fill("wrong")
    page.get_by_role("button", name="Use this token").click()
    page.get_by_text("That token was refused").wait_for()
    page.get_by_label("API token").fill(TOKEN)
    page.keyboard.press("Enter")  # the form submits by keyboard
    page.locator("#token-form").wait_for(state="hidden")
    page.locator("#cluster dt", has_text="CPUs").wait_for()
    assert page.locator("#cluster").inner_text().count("\n") >= 6
    assert "Token set" in page.locator("#token-state").inner_text()
    assert "?" not in page.url and TOKEN not in page.url  # never in the URL


def test_every_input_has_a_label(studio: Studio) -> None:
    unlabelled = studio.page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
              .filter((e) => e.type !== 'hidden' && e.labels.length === 0
                             && !e.getAttribute('aria-label'))
              .map((e) => e.id || e.name || e.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == []


def test_a_bad_upload_shows_one_line_error(studio: Studio, tmp_path: Path) -> None:
    page = studio.page
    studio.view("Ingest")
    bad = tmp_path / "notes.csv"
    bad.write_bytes(b"")
    page.get_by_label("Data file").set_input_files(str(bad))
    page.get_by_role("button", name="Upload", exact=True).click()
    error = page.locator("#upload-error")
    error.wait_for(state="visible")
    text = error.inner_text().strip()
    assert text and "\n" not in text, text
    big = tmp_path / "big.csv"
    big.write_bytes(b"a,b\n" + b"1,2\n" * (700 * 1024))  # 2.8 MB > the 2 MB limit
    page.get_by_label("Data file").set_input_files(str(big))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.locator("#upload-error", has_text="over the 2 MB limit").wait_for()


def test_from_a_file_to_a_served_model(studio: Studio, tmp_path: Path) -> None:
    page = studio.page
    csv = tmp_path / "cells.csv"
    _frame().write_csv(csv)
    studio.view("Ingest")
    page.get_by_label("Data file").set_input_files(str(csv))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text("Stored cells.csv: 300 rows, 7 columns.").wait_for()
    expect(page.locator("#preview-table tbody tr")).to_have_count(20)
    expect(page.locator("#datasets-table tbody tr.selected")).to_have_count(1)
    studio.shot("1-ingest")

    studio.view("ETL")
    expect(page.locator("#profile-table tbody tr")).to_have_count(7)
    assert "quality score" in page.locator("#profile-summary").inner_text()
    page.get_by_label("Missing values in mean radius").select_option("drop")
    page.get_by_role("button", name="Run ETL").click()
    _until(page, "#etl-result-card", "#etl-error")
    assert "300" in page.locator("#etl-result").inner_text()
    expect(page.locator("#etl-filled tr", has_text="mean_radius")).to_contain_text("drop")
    page.get_by_label("Missing values in mean radius").select_option("")  # back to the default
    studio.shot("2-etl")

    studio.view("AutoML")
    page.get_by_label("Target column").select_option("target")
    page.locator("#task-info", has_text="Detected: binary classification").wait_for()
    page.get_by_label("Trials (deterministic)").check()
    page.get_by_label("Trials", exact=True).fill("6")
    for name in ("xgboost", "random_forest", "extra_trees", "catboost", "knn"):
        page.locator(f"#run-learners input[value={name}]").uncheck()
    page.get_by_role("button", name="Start").click()
    page.locator("#progress-card").wait_for(state="visible")
    page.wait_for_function(  # the progress moves while the search runs
        """() => {
            const dt = [...document.querySelectorAll('#progress-facts dt')]
                .find((d) => d.textContent === 'Configurations done');
            return (dt && Number(dt.nextElementSibling.textContent) > 0)
                || !document.querySelector('#progress-error').hidden;
        }""",
        timeout=RUN_TIMEOUT_MS,
    )
    _until(page, "#leaderboard-card", "#progress-error")
    assert page.locator("#leaderboard tbody tr").count() >= 1
    assert page.locator("#history-chart .main-svg").count() >= 1
    studio.shot("3-automl")

    studio.view("Explain")
    page.locator("#chart-importance .main-svg").first.wait_for()
    page.get_by_label("Holdout row").select_option(index=1)
    page.get_by_role("button", name="Explain this row").click()
    page.locator("#row-prediction", has_text="base").wait_for()
    page.locator("#chart-row .main-svg").first.wait_for()
    expect(page.locator("#confusion tbody tr")).to_have_count(2)
    studio.shot("4-explain")

    studio.view("Visualize")
    page.get_by_label("Chart", exact=True).first.select_option("distribution")
    page.get_by_role("button", name="Draw").click()
    page.locator("#chart-data .main-svg").first.wait_for()
    expect(page.locator("#chart-data .gtitle")).to_contain_text("mean_radius")
    page.get_by_label("Chart", exact=True).first.select_option("correlation")
    page.get_by_role("button", name="Draw").click()  # one column: a clear error
    expect(page.locator("#data-chart-error")).to_be_visible()
    page.locator("#chart-columns input").first.uncheck()  # none: every numeric column
    page.get_by_role("button", name="Draw").click()
    expect(page.locator("#chart-data .gtitle")).to_contain_text("orrelation")
    expect(page.locator("#data-chart-error")).to_be_hidden()
    page.locator("#chart-model .main-svg").first.wait_for()
    studio.shot("5-visualize")

    studio.view("Export")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the bundle (.zip)").click()
    bundle = tmp_path / "bundle.zip"
    info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as zf:
        assert zf.testzip() is None
        assert "model/model.pkl" in zf.namelist() and "MODEL_CARD.md" in zf.namelist()
    with page.expect_download() as info:
        page.get_by_role("button", name="report", exact=True).click()
    report = json.loads(Path(info.value.path()).read_text())
    assert report["model_id"] in page.locator("#endpoint").inner_text()
    page.locator("#model-card h2").first.wait_for()
    page.get_by_role("button", name="Predict").click()
    result = page.locator("#predict-result", has_text="P(")
    result.wait_for()
    assert "curl -X POST" in page.locator("#curl").inner_text()
    studio.shot("6-export")

    # the form's row (holdout row 1) through `fas-ray predict` gives the same numbers
    row = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#predict-fields [data-column]')]
              .map((e) => [e.dataset.column, e.value === '' ? null : Number(e.value)]))"""
    )
    model_id = page.locator("#endpoint").inner_text().split("/models/")[1].split("/")[0]
    rows_csv = tmp_path / "row.csv"
    pl.DataFrame([row]).write_csv(rows_csv)
    out = tmp_path / "pred.csv"
    proc = cli(
        "predict",
        "--model",
        model_id,
        str(rows_csv),
        "--out",
        str(out),
        "--data-root",
        str(studio.root),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    expected = pl.read_csv(out)
    shown = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"P\((\w+)\) = ([0-9.e-]+)", result.inner_text())
    }
    probability_columns = [c for c in expected.columns if c.startswith("proba_")]
    assert probability_columns, expected.columns
    for column in probability_columns:
        assert shown[column.removeprefix("proba_")] == pytest.approx(expected[column][0], abs=1e-6)


def test_schedules_are_made_and_removed_from_the_page(studio: Studio) -> None:
    page = studio.page  # the data set of the flow above is still selected
    studio.view("AutoML")
    page.get_by_label("Target column").select_option("target")
    page.get_by_label("Cron (minute hour day month weekday)").fill("not a cron")
    page.get_by_role("button", name="Add schedule").click()
    page.locator("#schedule-error", has_text="cron").wait_for()
    page.get_by_label("Cron (minute hour day month weekday)").fill("15 4 * * 1")
    page.get_by_role("button", name="Add schedule").click()
    row = page.locator("#schedules-table tbody tr", has_text="15 4 * * 1")
    row.wait_for()
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)


def test_a_failing_run_shows_why(studio: Studio, tmp_path: Path) -> None:
    studio.ready()
    page = studio.page
    csv = tmp_path / "flat.csv"
    _frame().head(40).with_columns(flat=pl.lit("same")).write_csv(csv)
    # by keyboard only: focus, Space / Enter / arrow keys
    page.get_by_role("button", name="1 Ingest").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Data file").focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(csv))
    page.get_by_role("button", name="Upload", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_text("Stored flat.csv").wait_for()
    expect(page.locator("#run-target option[value=flat]")).to_have_count(1)  # targets refilled
    page.get_by_role("button", name="1 Ingest").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-automl:not([hidden])")
    page.get_by_label("Target column").focus()
    page.keyboard.press("End")  # the last column: flat
    expect(page.get_by_label("Target column")).to_have_value("flat")
    expect(page.locator("#task-info")).to_contain_text("single value")  # said up front
    page.get_by_role("button", name="Start").focus()
    page.keyboard.press("Enter")
    # the API refuses it before any job starts (422), and the page says why beside Start
    error = page.locator("#run-error", has_text="single value")
    error.wait_for(timeout=60_000)
    assert "flat" in error.inner_text()


def test_a_run_is_cancelled_from_the_page(studio: Studio) -> None:
    page = studio.page
    studio.view("Ingest")
    page.locator("#datasets-table tbody tr", has_text="cells.csv").get_by_role("button").click()
    expect(page.locator("#preview-name")).to_contain_text("cells.csv")
    studio.view("AutoML")
    page.get_by_label("Target column").select_option("target")
    page.get_by_label("Time", exact=True).check()
    page.get_by_label("Seconds").fill("120")
    page.get_by_role("button", name="Start").click()
    page.locator("#progress-facts .badge", has_text="running").wait_for(timeout=RUN_TIMEOUT_MS)
    page.get_by_role("button", name="Cancel the run").click()
    page.locator("#progress-error", has_text="cancelled").wait_for(timeout=RUN_TIMEOUT_MS)


def test_a_scrape_from_the_page(studio: Studio) -> None:
    page = studio.page
    studio.view("Ingest")
    with Site(crawl_delay=None) as site:
        page.get_by_label("Start URL").fill(site.url("/tables/page1"))
        page.get_by_label("Max pages").fill("5")
        page.get_by_label("Requests per second").fill("20")
        page.get_by_label("JavaScript rendering").select_option("never")
        page.get_by_label(re.compile("Allow private and loopback")).check()
        page.get_by_role("button", name="Scrape and profile").click()
        status = page.locator("#scrape-status", has_text="Scraped")
        status.wait_for(timeout=RUN_TIMEOUT_MS)
    rows = sum(len(r) for r in TABLE_PAGES.values())
    assert f"Scraped {rows} rows" in status.inner_text()


def test_views_switch_by_keyboard(studio: Studio) -> None:
    page = studio.page
    studio.view("Ingest")
    page.get_by_role("button", name="1 Ingest").focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#view-automl:not([hidden])")
    assert json.loads(page.evaluate("JSON.stringify(location.hash)")) == "#automl"
