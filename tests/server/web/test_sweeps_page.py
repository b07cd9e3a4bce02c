"""The sweep views and the run comparison of the web page in a real browser (Playwright driving
Debian's chromium) against a real `horn up`: a small random sweep (3 trials of 2 epochs on the
digits) followed live, its trials table sorted, its best trial highlighted, its scatter drawn;
then its trials compared on one chart from the jobs list.

Reuses the browser fixtures of test_web_page.py (skips without chromium or playwright, except
under `CI=true`). Screenshots go to the test's tmp dir and to /tmp/horn-screens/.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCREENS = Path("/tmp/horn-screens")
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
SWEEP_TRIALS = 3
EPOCHS = 2


def _web_page_module():
    """tests/server/web/test_web_page.py, loaded by path (`--import-mode=importlib`)."""
    name = "horn_web_page_tests"
    if name not in sys.modules:
        path = Path(__file__).with_name("test_web_page.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


web_page = _web_page_module()
browser = web_page.browser
horn = web_page.horn
browser_page = web_page.browser_page
sign_in = web_page.sign_in


def screenshots(page, folder: Path, name: str) -> None:
    """Full-page screenshots at 1280 and 390 px: `<name>-1280.png`, `<name>-390.png`, in
    `folder` and copied to /tmp/horn-screens/."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # charts redraw at the new width
        path = folder / f"{name}-{viewport['width']}.png"
        page.screenshot(path=path, full_page=True)
        shutil.copy(path, SCREENS / path.name)
    page.set_viewport_size(WIDE)


@pytest.fixture(scope="module")
def sweep_id(horn, e2e_helpers):
    """A random sweep of 3 trials over `units` (choice) and `lr` (log-uniform), started once."""
    body = {
        "name": "web-sweep",
        "model_id": horn.model(e2e_helpers.MODEL_SOURCE),
        "dataset_id": horn.digits_dataset(),
        "training": {
            "epochs": EPOCHS,
            "batch_size": 64,
            "validation_split": 0.2,
            "metrics": ["accuracy"],
        },
        "space": {
            "units": {"type": "choice", "values": [8, 16, 32]},
            "lr": {"type": "loguniform", "low": 0.001, "high": 0.1},
        },
        "searcher": {"name": "random", "seed": 3},
        "metric": "val_accuracy",
        "mode": "max",
        "max_trials": SWEEP_TRIALS,
        "max_concurrent_trials": SWEEP_TRIALS,
    }
    response = horn.client.post("/v1/sweeps", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def finished_sweep(horn, sweep_id: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        sweep = horn.client.get(f"/v1/sweeps/{sweep_id}").json()
        if sweep["status"] in ("succeeded", "failed", "cancelled"):
            return sweep
        time.sleep(0.5)
    raise AssertionError(f"sweep {sweep_id} did not finish in {timeout_s} s: {sweep}")


def shown_trial_order(page) -> list[int]:
    rows = page.locator("#trials-table tbody tr")
    return [int(i) for i in rows.evaluate_all("rows => rows.map(row => row.dataset.trialIndex)")]


def test_a_sweep_page_follows_the_sweep_sorts_its_trials_and_plots_them(
    browser_page, horn, sweep_id, tmp_path
):
    from playwright.sync_api import expect

    page = browser_page.page
    sign_in(page, horn)

    # The last trial waits behind the others (one job at a time): its page says why.
    trials = horn.client.get(f"/v1/sweeps/{sweep_id}").json()["trials"]
    last = max(trials, key=lambda trial: trial["index"])
    assert horn.job(last["job_id"])["waiting"] is not None
    page.goto(f"{horn.url}/#/jobs/{last['job_id']}")
    expect(page.locator("#job-status .badge")).to_be_visible()
    # Read at once: the trial may start meanwhile, and then it no longer waits.
    shown, waiting = page.evaluate(
        """() => [document.querySelector("#job-status .badge").dataset.status,
                  document.querySelector("#job-status p.waiting")?.textContent ?? null]"""
    )
    if shown == "queued":
        assert waiting and re.match(r"Waiting: \S", waiting), waiting
    screenshots(page, tmp_path, "trial-queued")

    page.locator("#nav").get_by_role("link", name="Sweeps").click()
    row = page.locator(f"#sweeps-list tr[data-sweep-id={sweep_id}]")
    expect(row).to_contain_text("web-sweep")
    expect(row).to_contain_text("random")
    expect(row).to_contain_text("val_accuracy (max)")
    row.get_by_role("link", name="web-sweep").click()
    page.wait_for_url(re.compile(rf".*#/sweeps/{sweep_id}$"))

    # The page follows the sweep by itself until it ends.
    badge = page.locator("#sweep-status .badge")
    expect(page.locator("#trials-table tbody tr")).to_have_count(SWEEP_TRIALS)
    screenshots(page, tmp_path, "sweep-running")
    expect(page.locator("#sweep-status")).to_contain_text("Searcher: random")
    expect(page.locator("#sweep-status")).to_contain_text("val_accuracy (max), higher is better")
    expect(badge).to_have_attribute("data-status", "succeeded", timeout=300_000)
    status = page.locator("#sweep-status")
    expect(status).to_contain_text(f"{SWEEP_TRIALS} of {SWEEP_TRIALS} trials done")
    expect(page.locator("#cancel-sweep")).to_be_hidden()
    compare_href = page.get_by_role("link", name="Compare trials").get_attribute("href")
    sweep = horn.client.get(f"/v1/sweeps/{sweep_id}").json()
    trials = {trial["index"]: trial for trial in sweep["trials"]}
    assert len(trials) == SWEEP_TRIALS
    assert compare_href == "#/compare?jobs=" + ",".join(t["job_id"] for t in sweep["trials"])

    # One row per trial, in index order, each linking to its job; the best one highlighted.
    expect(page.locator("#trials-table tbody tr")).to_have_count(SWEEP_TRIALS)
    assert shown_trial_order(page) == sorted(trials)
    headers = page.locator("#trials-table thead button.sort").evaluate_all(
        "buttons => buttons.map(button => button.firstChild.textContent)"
    )
    assert headers == [
        "Trial",
        "units",
        "lr",
        "Status",
        "Epochs",
        "Best val_accuracy",
    ]
    best = sweep["best_trial"]
    assert best is not None
    highlighted = page.locator("#trials-table tbody tr.best-trial")
    expect(highlighted).to_have_count(1)
    expect(highlighted).to_have_attribute("data-trial-index", str(best["index"]))
    expect(highlighted).to_contain_text("best")
    for index, trial in trials.items():
        trial_row = page.locator(f"#trials-table tr[data-trial-index='{index}']")
        expect(trial_row).to_contain_text(f"{EPOCHS} of {EPOCHS}")
        link = trial_row.get_by_role("link", name=f"Trial {index}")
        expect(link).to_have_attribute("href", f"#/jobs/{trial['job_id']}")

    # Sorting by the best metric puts the best first; again, last.
    by_metric = sorted(trials, key=lambda i: (-trials[i]["best_metric"], i))
    page.get_by_role("button", name="Best val_accuracy").click()
    expect(page.locator("#trials-table th[data-key=best_metric]")).to_have_attribute(
        "aria-sort", "descending"
    )
    assert shown_trial_order(page) == by_metric
    assert shown_trial_order(page)[0] == best["index"]
    page.get_by_role("button", name="Best val_accuracy").click()
    expect(page.locator("#trials-table th[data-key=best_metric]")).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert shown_trial_order(page) == sorted(trials, key=lambda i: (trials[i]["best_metric"], i))
    page.get_by_role("button", name="Best val_accuracy").click()

    # The scatter: one point per trial that reported the metric, the best one ringed; `lr`
    # (log-uniform) on a log axis, `units` (a choice of numbers) on a linear one.
    reported = [i for i, trial in trials.items() if trial["best_metric"] is not None]
    scatter = page.locator(".chart.scatter")
    expect(scatter).to_have_attribute("data-param", "units")
    expect(scatter).to_have_attribute("data-scale", "linear")
    expect(scatter).to_have_attribute("data-points", str(len(reported)))
    expect(scatter.locator("a.trial-point")).to_have_count(len(reported))
    page.get_by_label("Hyperparameter", exact=True).select_option("lr")
    expect(scatter).to_have_attribute("data-scale", "log")
    expect(scatter).to_have_attribute("data-points", str(len(reported)))
    expect(scatter.locator("a.trial-point")).to_have_count(len(reported))
    expect(scatter.locator("a.trial-point.best")).to_have_count(1)
    expect(scatter.locator("a.trial-point.best")).to_have_attribute(
        "data-label", f"Trial {best['index']}"
    )
    expect(scatter.locator("figcaption")).to_have_text("val_accuracy by lr (log scale)")
    screenshots(page, tmp_path, "sweep-finished")

    # A trial is a job: its page and the jobs list say which sweep it belongs to.
    page.get_by_role("link", name=f"Trial {best['index']}", exact=True).first.click()
    page.wait_for_url(re.compile(rf".*#/jobs/{best['job_id']}$"))
    sweep_line = page.locator("#job-status p.sweep")
    expect(sweep_line).to_contain_text(f"trial {best['index']} of {sweep_id}")
    sweep_line.get_by_role("link", name=sweep_id).click()
    page.wait_for_url(re.compile(rf".*#/sweeps/{sweep_id}$"))
    page.get_by_role("link", name="Trials as jobs").click()
    expect(page.locator("#jobs-list tbody tr")).to_have_count(SWEEP_TRIALS)
    for index, trial in trials.items():
        expect(page.locator(f"tr[data-job-id={trial['job_id']}]")).to_have_attribute(
            "data-sweep-id", sweep_id
        )
        expect(page.locator(f"tr[data-job-id={trial['job_id']}] .sweep-of")).to_have_text(
            f"trial {index} of {sweep_id}"
        )
    page.locator("#nav").get_by_role("link", name="Sweeps").click()
    expect(row.locator(".badge")).to_have_attribute("data-status", "succeeded")
    expect(row).to_contain_text(f"{SWEEP_TRIALS} of {SWEEP_TRIALS}")
    screenshots(page, tmp_path, "sweeps-list")


def test_compare_draws_one_curve_per_chosen_job(browser_page, horn, sweep_id, tmp_path):
    from playwright.sync_api import expect

    page = browser_page.page
    sweep = finished_sweep(horn, sweep_id)
    job_ids = [trial["job_id"] for trial in sweep["trials"]]
    sign_in(page, horn)
    page.goto(f"{horn.url}/#/jobs")
    compare = page.locator("#compare-jobs")
    expect(compare).to_be_disabled()
    for job_id in job_ids:
        page.locator(f"tr[data-job-id={job_id}] input.compare-check").check()
    expect(compare).to_have_text(f"Compare {len(job_ids)} jobs")
    screenshots(page, tmp_path, "jobs-chosen")
    compare.click()
    page.wait_for_url(re.compile(r".*#/compare\?jobs=.*"))

    chart = page.locator(".compare-chart")
    expect(chart).to_have_attribute("data-series", str(len(job_ids)))
    metrics = page.locator("#compare-metric option").all_inner_texts()
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(metrics), metrics
    expect(chart).to_have_attribute("data-metric", "loss")
    page.get_by_label("Metric").select_option("val_accuracy")
    expect(chart).to_have_attribute("data-metric", "val_accuracy")
    assert page.url.endswith("&metric=val_accuracy")
    series = chart.locator("g.series.compared")
    expect(series).to_have_count(len(job_ids))
    assert series.evaluate_all("gs => gs.map(g => g.dataset.points)") == [str(EPOCHS)] * len(
        job_ids
    )
    expect(chart.locator("g.series.compared path")).to_have_count(len(job_ids))
    legend = chart.locator(".compare-legend li")
    expect(legend).to_have_count(len(job_ids))
    for job_id in job_ids:
        name = horn.job(job_id)["name"] or job_id
        expect(legend.get_by_role("link", name=name, exact=True)).to_have_attribute(
            "href", f"#/jobs/{job_id}"
        )
    screenshots(page, tmp_path, "compare")


def test_cancel_a_sweep_from_its_page(browser_page, horn, sweep_id, e2e_helpers):
    from playwright.sync_api import expect

    page = browser_page.page
    finished_sweep(horn, sweep_id)  # the worker runs one job at a time: let that sweep end first
    body = {
        "name": "web-sweep-cancelled",
        "model_id": horn.model(e2e_helpers.MODEL_SOURCE),
        "dataset_id": horn.digits_dataset(),
        "training": {"epochs": 1000, "batch_size": 64},
        "space": {"units": {"type": "choice", "values": [8, 16]}},
        "searcher": {"name": "grid"},
        "metric": "loss",
        "mode": "min",
    }
    response = horn.client.post("/v1/sweeps", json=body)
    assert response.status_code == 201, response.text
    cancelled_id = response.json()["id"]
    sign_in(page, horn)
    page.goto(f"{horn.url}/#/sweeps/{cancelled_id}")
    expect(page.locator("#trials-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Cancel sweep").click()
    expect(page.locator("#sweep-status .badge")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#cancel-sweep")).to_be_hidden()
    # The page keeps asking until the trials have ended too.
    for row in page.locator("#trials-table tbody tr").all():
        expect(row).to_have_attribute("data-status", "cancelled", timeout=60_000)
    sweep = horn.client.get(f"/v1/sweeps/{cancelled_id}").json()
    assert sweep["status"] == "cancelled"
    assert sweep["counts"]["cancelled"] == 2
