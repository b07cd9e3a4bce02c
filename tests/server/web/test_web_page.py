"""The web page in a real browser (Playwright driving Debian's chromium) against a real
`horn up` with a real worker and runners.

Skips when chromium or the playwright package is missing, except under CI (`CI=true`), where
that is a failure. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import skip_or_fail

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("HORN_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
MODEL_SOURCE = """import kerascore as keras


def build_model(hparams):
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(hparams.get("units", 128), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(hparams.get("lr", 1e-3)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""
# Records every change of a chart's point count with the job status shown at that moment.
RECORD_CHART_POINTS = """() => {
  window.hornPointLog = [];
  new MutationObserver((records) => {
    for (const record of records) {
      const badge = document.querySelector("#job-status .badge");
      window.hornPointLog.push({
        metric: record.target.dataset.metric,
        before: Number(record.oldValue),
        points: Number(record.target.dataset.points),
        status: badge ? badge.dataset.status : null,
      });
    }
  }).observe(document.body, {
    subtree: true, attributes: true, attributeOldValue: true, attributeFilter: ["data-points"],
  });
}"""


def require_browser(message: str) -> None:
    skip_or_fail(f"{message} Install it to run the browser tests (apt-get install chromium).")


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        require_browser(f"The playwright package is not installed ({error}).")
    if not os.access(CHROMIUM, os.X_OK):
        require_browser(f"Chromium is not installed at {CHROMIUM}.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def horn(e2e_helpers, tmp_path_factory):
    """One real `horn up` (API, worker, embedded broker, SQLite) for this module."""
    server = e2e_helpers.start_horn(tmp_path_factory.mktemp("horn-web"), {}, "embedded")
    yield server
    server.stop()


@dataclass
class BrowserPage:
    """A page in its own browser context, with every request URL and script error it saw."""

    page: object
    base_url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.base_url + "/")]


@pytest.fixture
def browser_page(browser, horn):
    context = browser.new_context(viewport=WIDE, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    recorded = BrowserPage(page, horn.url)
    context.on("request", lambda request: recorded.requests.append(request.url))
    page.on("pageerror", lambda error: recorded.errors.append(str(error)))
    yield recorded
    context.close()
    assert recorded.foreign_requests() == [], "the page talked to another origin"
    assert recorded.errors == [], "the page raised script errors"


def sign_in(page, horn, key: str | None = None) -> None:
    from playwright.sync_api import expect

    page.goto(f"{horn.url}/")
    page.get_by_label("API key").fill(key or horn.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_contain_text("Signed in as default")


def screenshots(page, name: str) -> None:
    """Full-page screenshots at 1280 and 390 px wide: `<name>-1280.png`, `<name>-390.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # charts redraw at the new width
        page.screenshot(path=SCREENSHOTS / f"{name}-{viewport['width']}.png", full_page=True)
    page.set_viewport_size(WIDE)


def digits_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data / 16).astype("float32")
    path = tmp_path / "digits.npz"
    np.savez(path, x=x, y=digits.target)
    return path, x


def test_submit_watch_download_predict_and_run_again(browser_page, horn, tmp_path):
    from playwright.sync_api import expect

    page = browser_page.page
    model_path = tmp_path / "digits_mlp.py"
    model_path.write_text(MODEL_SOURCE)
    digits_path, x = digits_file(tmp_path)
    sign_in(page, horn)

    page.locator("#nav").get_by_role("link", name="New job").click()
    page.set_input_files("#model-upload", model_path)
    expect(page.locator("pre.code")).to_contain_text("def build_model(hparams):")
    model_id = page.locator("#f-model_id").input_value()
    assert model_id.startswith("mdl_")
    page.set_input_files("#dataset-upload", digits_path)
    arrays = page.locator("table.arrays")
    expect(arrays.locator("tr[data-array=x]")).to_contain_text("(1797, 64)")
    expect(arrays.locator("tr[data-array=y]")).to_contain_text("(1797,)")
    page.locator(".hp-key").first.fill("units")
    page.locator(".hp-value").first.fill("32")
    page.get_by_label("Epochs", exact=True).fill("5")
    page.get_by_label("Batch size").fill("16")
    page.get_by_label("Validation split").fill("0.1")
    screenshots(page, "new-job-form")

    page.evaluate(RECORD_CHART_POINTS)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url(re.compile(r".*#/jobs/job_\w+$"))
    job_id = page.url.rsplit("/", 1)[1]
    badge = page.locator("#job-status .badge")
    expect(badge).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(badge).to_have_text(re.compile("succeeded"))
    expect(page.locator("#job-status")).to_contain_text("epoch 5 of 5")

    # The loss chart grew one epoch at a time while the job ran (Server-Sent Events, cookie).
    log = page.evaluate("window.hornPointLog")
    loss_points = [entry for entry in log if entry["metric"] == "loss"]
    counts = [entry["points"] for entry in loss_points]
    assert counts == sorted(counts) and counts[-1] == 5, log
    assert {entry["before"] for entry in loss_points} >= {0, 1, 2, 3, 4}, log
    assert any(0 < e["points"] < 5 and e["status"] != "succeeded" for e in loss_points), log
    loss_chart = page.locator(".chart[data-metric=loss]")
    expect(loss_chart).to_have_attribute("data-validation-points", "5")
    expect(loss_chart.locator("circle.point")).to_have_count(5)
    expect(page.locator(".chart[data-metric=accuracy]")).to_have_attribute("data-points", "5")
    expect(page.locator("#job-log")).to_contain_text("Epoch 5/5")

    # Download the last checkpoint: the same bytes as the API serves, a .keras zip archive.
    checkpoints = page.locator("#checkpoints tbody tr")
    expect(checkpoints).to_have_count(5)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="epoch 5 (.keras)").click()
    downloaded = Path(download_info.value.path()).read_bytes()
    assert downloaded == horn.client.get(f"/v1/jobs/{job_id}/checkpoints/5").content
    assert "config.json" in zipfile.ZipFile(io.BytesIO(downloaded)).namelist()
    # And a SavedModel of it, for TensorFlow Serving.
    with page.expect_download(timeout=120_000) as download_info:
        checkpoints.last.get_by_role("link", name="SavedModel (.tar.gz)").click()
    with tarfile.open(download_info.value.path()) as archive:
        assert "savedmodel/saved_model.pb" in archive.getnames()

    # Predict from the panel: the same classes as the API answers.
    rows = x[:3].tolist()
    page.get_by_label("Rows to predict (JSON)").fill(json.dumps(rows))
    page.get_by_role("button", name="Predict").click()
    predicted = page.locator("table.predictions tbody tr")
    expect(predicted).to_have_count(3, timeout=60_000)
    served = horn.client.post(f"/v1/jobs/{job_id}/predict", json={"instances": rows}).json()
    expected = [str(int(np.argmax(row))) for row in served["predictions"]]
    shown = [predicted.nth(i).locator("td").nth(1).inner_text() for i in range(3)]
    assert shown == expected
    assert len(predicted.first.locator("td").nth(2).inner_text().split(",")) == 10
    screenshots(page, "job-detail-finished")

    # The jobs list shows it with its badge, progress, last loss and metric.
    page.locator("#nav").get_by_role("link", name="Jobs", exact=True).click()
    row = page.locator(f"tr[data-job-id={job_id}]")
    expect(row.locator(".badge")).to_have_text(re.compile("succeeded"))
    expect(row).to_contain_text("epoch 5 of 5")
    expect(row).to_contain_text("accuracy 0.")

    # "Run again" fills the form with the job's settings.
    row.get_by_role("link").click()
    page.get_by_role("link", name="Run again").click()
    expect(page.get_by_label("Epochs", exact=True)).to_have_value("5")
    expect(page.get_by_label("Batch size")).to_have_value("16")
    expect(page.locator("#f-model_id")).to_have_value(model_id)
    expect(page.locator(".hp-key").first).to_have_value("units")
    expect(page.locator(".hp-value").first).to_have_value("32")

    assert browser_page.requests and browser_page.foreign_requests() == []


def test_cancel_a_running_job_and_a_dataset_in_use(browser_page, horn, e2e_helpers):
    from playwright.sync_api import expect

    page = browser_page.page
    job_id = horn.create_job(epochs=10_000)
    dataset_id = horn.digits_dataset()
    sign_in(page, horn)

    page.goto(f"{horn.url}/#/jobs/{job_id}")
    expect(page.locator(".chart[data-metric=loss]")).to_be_visible(timeout=90_000)
    page.locator("#nav").get_by_role("link", name="Jobs", exact=True).click()
    expect(page.locator(f"tr[data-job-id={job_id}] .badge")).to_have_text(re.compile("running"))
    screenshots(page, "jobs-list")

    page.locator("#nav").get_by_role("link", name="Datasets").click()
    dataset_row = page.locator(f"tr[data-id={dataset_id}]")
    dataset_row.get_by_role("button", name="Delete", exact=True).click()
    dataset_row.get_by_role("button", name=re.compile("^Delete digits")).click()
    error = page.locator("p.message.error:not([hidden])")
    expect(error).to_contain_text("It is in use")
    expect(error).to_contain_text(job_id)
    dataset_row.get_by_role("button", name="Details").click()
    expect(dataset_row.locator("table.arrays")).to_contain_text("(1797, 64)")
    screenshots(page, "datasets-in-use")
    page.locator("#nav").get_by_role("link", name="Models").click()
    model_row = page.locator(f"tr[data-id={horn.model(e2e_helpers.MODEL_SOURCE)}]")
    model_row.get_by_role("button", name="Details").click()
    expect(model_row.locator("pre.code")).to_contain_text("def build_model(hparams):")

    page.goto(f"{horn.url}/#/jobs/{job_id}")
    page.get_by_role("button", name="Cancel job").click()
    badge = page.locator("#job-status .badge")
    expect(badge).to_have_attribute("data-status", "cancelled", timeout=30_000)
    expect(badge).to_have_text(re.compile("cancelled"))
    assert horn.job(job_id)["status"] == "cancelled"

    page.goto(f"{horn.url}/#/jobs")
    for status in ("cancelled", "succeeded"):
        page.get_by_label("Status").select_option(status)
        page.wait_for_function(
            "(status) => location.hash === `#/jobs?status=${status}` && "
            "document.querySelector('#jobs-list').getAttribute('aria-busy') === 'false'",
            arg=status,
        )
        rows = page.locator("#jobs-list tbody tr")
        shown = dict(
            zip(
                rows.evaluate_all("rows => rows.map(row => row.dataset.jobId)"),
                rows.evaluate_all("rows => rows.map(row => row.dataset.status)"),
            )
        )
        assert set(shown.values()) <= {status}, shown
        assert (job_id in shown) == (status == "cancelled"), shown


def test_keyboard_only_sign_in_and_navigation(browser_page, horn):
    from playwright.sync_api import expect

    page = browser_page.page
    page.goto(f"{horn.url}/")
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(horn.key)
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_contain_text("Signed in as default")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Datasets":
            break
    else:
        raise AssertionError("Tab never reached the Datasets link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Datasets")).to_be_visible()
    assert page.url.endswith("#/datasets")


def test_a_wrong_key_shows_an_error(browser_page, horn):
    from playwright.sync_api import expect

    page = browser_page.page
    page.goto(f"{horn.url}/")
    page.get_by_label("API key").fill("horn_not_a_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#api-key-error")).to_contain_text("Invalid or revoked API key")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#nav")).to_be_hidden()
    assert not [c for c in page.context.cookies() if c["name"] == "horn_session"]


def test_invalid_input_is_refused_before_submit_and_api_errors_sit_by_their_field(
    browser_page, horn, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page.page
    model_id = horn.model(MODEL_SOURCE)
    dataset_id = horn.digits_dataset()
    jobs_before = len(horn.client.get("/v1/jobs?limit=200").json()["items"])
    sign_in(page, horn)
    page.goto(f"{horn.url}/#/new")
    page.locator("#f-model_id").select_option(model_id)
    page.locator("#f-dataset_id").select_option(dataset_id)
    broken = tmp_path / "broken.py"
    broken.write_text("def build_model(:\n")
    page.set_input_files("#model-upload", broken)
    expect(page.locator("#f-model_upload-error")).to_contain_text("broken.py")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("main input, main select, main textarea")]
            .filter((c) => !c.labels.length && !c.getAttribute("aria-label")
                && !c.getAttribute("aria-labelledby"))
            .map((c) => c.outerHTML)"""
    )
    assert unlabelled == []
    page.get_by_label("JSON", exact=True).check()
    hyperparameters = page.get_by_label("Hyperparameters (JSON object)")
    hyperparameters.fill('{"units": 32,')
    page.get_by_role("button", name="Start training").click()
    error = page.locator("#f-hyperparameters-error")
    expect(error).to_contain_text("Hyperparameters are not valid JSON")
    expect(hyperparameters).to_have_attribute("aria-invalid", "true")
    hyperparameters.fill("[32]")
    page.get_by_role("button", name="Start training").click()
    expect(error).to_contain_text("must be a JSON object")
    assert not [url for url in browser_page.requests if url.endswith("/v1/jobs")]

    # The browser cannot know the server's time limit: the API's 422 lands by its field.
    hyperparameters.fill('{"units": 32}')
    page.get_by_label("Time limit in seconds (optional)").fill("99999999")
    page.get_by_role("button", name="Start training").click()
    expect(page.locator("#f-max_runtime_s-error")).to_contain_text("max_runtime_s may be at most")
    expect(error).to_be_hidden()
    assert len(horn.client.get("/v1/jobs?limit=200").json()["items"]) == jobs_before


def test_a_cross_site_change_with_the_cookie_is_refused(horn):
    model_id = horn.client.post(
        "/v1/models", files={"file": ("victim.py", MODEL_SOURCE.encode())}
    ).json()["id"]
    with httpx.Client(base_url=horn.url, timeout=30) as browser_like:
        signed_in = browser_like.post("/v1/session", json={"api_key": horn.key})
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["csrf_token"]
        assert browser_like.get("/v1/models").status_code == 200

        forged = browser_like.delete(
            f"/v1/models/{model_id}", headers={"Origin": "https://attacker.example"}
        )
        assert forged.status_code == 403
        assert forged.json()["error"]["code"] in ("csrf_failed", "cross_origin_request")
        no_header = browser_like.delete(f"/v1/models/{model_id}")
        assert no_header.status_code == 403
        assert no_header.json()["error"]["code"] == "csrf_failed"
        other_origin = browser_like.delete(
            f"/v1/models/{model_id}",
            headers={"X-Horn-CSRF": token, "Origin": "https://attacker.example"},
        )
        assert other_origin.status_code == 403
        assert other_origin.json()["error"]["code"] == "cross_origin_request"
        assert horn.client.get(f"/v1/models/{model_id}").status_code == 200

        same_site = browser_like.delete(
            f"/v1/models/{model_id}", headers={"X-Horn-CSRF": token, "Origin": horn.url}
        )
        assert same_site.status_code == 204
    assert horn.client.get(f"/v1/models/{model_id}").status_code == 404
