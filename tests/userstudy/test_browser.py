"""The study kit in a real headless Chromium: click through a study, reload mid-way, export, fit.

Runs in CI (CI set): a missing browser there is a failure, not a skip.
"""
import csv
import io
import json
import os
import shutil
import time

import pytest

from userstudy.__main__ import main
from userstudy.kit import build_kit, layout_for_rater

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def driver():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install -e .[dev])")
    if missing:
        message = f"browser test needs {missing} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail("CI is set but " + message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--autoplay-policy=no-user-gesture-required", "--window-size=1000,800"):
        options.add_argument(arg)
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield browser
    browser.quit()


def _wait(driver, condition, what, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _text(driver, element_id):
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent")


def _visible(driver, element_id):
    return driver.execute_script(f"return !document.getElementById('{element_id}').hidden")


def _displayed(driver, element_id):
    """Whether the element is really on screen (CSS included, unlike the ``hidden`` attribute alone)."""
    return driver.find_element("id", element_id).is_displayed()


def _assert_only_controls_of(driver, kind):
    """Issue 13: a ranking trial shows no pairwise buttons (Left is better / ...), a pairwise one no ranking ones."""
    other = "pairwise" if kind == "ranking" else "ranking"
    assert _displayed(driver, f"{kind}-controls")
    assert not _displayed(driver, f"{other}-controls")
    for button in (("choose-left", "choose-tie", "choose-right") if kind == "ranking" else ("reset", "next")):
        assert not _displayed(driver, button), f"{button} is shown in a {kind} trial"


def _slot_methods(driver, record):
    """Methods of the candidates on screen, in screen order, via the kit's video-file record."""
    by_file = {rel: m for files in record["video_files"].values() for m, rel in files.items()}
    srcs = driver.execute_script(
        "return Array.from(document.querySelectorAll('#videos video')).map(v => v.getAttribute('src'))")
    return [by_file[s] for s in srcs]


def _start(driver, rater):
    box = driver.find_element("id", "rater-id")
    box.clear()
    box.send_keys(rater)
    driver.find_element("id", "start").click()
    _wait(driver, lambda: _visible(driver, "trial-screen"), "the first trial")


def _click_slot(driver, k):
    driver.find_element("id", f"candidate-{k}").click()


def test_ranking_study_in_chromium(driver, ranking_study, tmp_path):
    videos, plan_path, _ = ranking_study
    kit = build_kit(videos, plan_path, tmp_path / "kit")
    record = json.loads((kit / "study.json").read_text())
    driver.get((kit / "index.html").as_uri())
    driver.execute_script("window.localStorage.clear()")
    driver.refresh()
    _wait(driver, lambda: _visible(driver, "start-screen"), "the start screen")
    assert _text(driver, "title") == "Test study"

    rater = "tester, 1"  # a comma, so the export must quote it
    _start(driver, rater)
    layout = layout_for_rater(rater, 7)
    assert _text(driver, "build-label").endswith(f"layout {layout}")
    # the videos decode and play in the browser (frame folders were encoded to WebM)
    state = _wait(driver, lambda: driver.execute_script(
        "const v = Array.from(document.querySelectorAll('#videos video'));"
        "return v.length && v.every(x => x.readyState >= 2 && x.videoWidth === 32 && !x.error)"
        " && v.map(x => x.loop && x.muted)"), "videos to load")
    assert all(state)

    order = record["layouts"][layout]["order"]
    expected, shown = [], []
    for step, item_index in enumerate(order):
        item = record["items"][item_index]
        assert _text(driver, "progress") == f"Trial {step + 1} of {len(order)}"
        assert _text(driver, "question") == record["questions"][item["question"]]
        methods = _slot_methods(driver, record)
        assert sorted(methods) == sorted(item["methods"])
        shown.append(methods)
        _assert_only_controls_of(driver, "ranking")
        preference = sorted(methods)  # this rater always prefers a > b > c
        next_button = driver.find_element("id", "next")
        if step == 1:  # a wrong first click, undone with Reset
            _click_slot(driver, methods.index(preference[-1]))
            driver.find_element("id", "reset").click()
        for k, method in enumerate(preference):
            assert not next_button.is_enabled()
            _click_slot(driver, methods.index(method))
            if step == 2 and k == 0:  # reload mid-trial: progress and the partial order survive
                driver.refresh()
                _wait(driver, lambda: _visible(driver, "trial-screen"), "the resumed trial")
                assert _text(driver, "progress") == f"Trial 3 of {len(order)}"
                assert _slot_methods(driver, record) == methods  # same positions after reload
                assert _text(driver, f"candidate-{methods.index(method)}").endswith("1")
                next_button = driver.find_element("id", "next")
        assert next_button.is_enabled()
        next_button.click()
        expected.append({"rater": rater, "question": item["question"], "trial": item["trial"],
                         "ranking": ">".join(preference)})
    assert len({tuple(m) for m in shown if len(m) == 3}) > 1 or len(order) < 3  # positions vary

    _wait(driver, lambda: _visible(driver, "done-screen"), "the done screen")
    exported = driver.find_element("id", "csv-output").get_attribute("value")
    assert exported.splitlines()[0] == "rater,question,trial,ranking"
    assert list(csv.DictReader(io.StringIO(exported))) == expected
    assert driver.find_element("id", "download").get_attribute("href").startswith("blob:")

    answers = tmp_path / "answers.csv"
    answers.write_text(exported)
    scores = main(["fit", str(answers), "--out", str(tmp_path / "scores.csv"), "--n-boot", "20",
                   "--plan", str(plan_path)])
    assert set(scores["question"]) == {"realism", "temporal"}
    for _, part in scores.groupby("question"):
        assert list(part.sort_values("score", ascending=False)["method"]) == ["a", "b", "c"]
    assert (tmp_path / "scores.csv").is_file()


def test_pairwise_study_two_raters_in_chromium(driver, pairwise_study, tmp_path):
    videos, plan_path, _ = pairwise_study
    kit = build_kit(videos, plan_path, tmp_path / "pkit")
    record = json.loads((kit / "study.json").read_text())
    driver.get((kit / "index.html").as_uri())
    driver.execute_script("window.localStorage.clear()")
    driver.refresh()
    expected = []
    for rater, choices in (("p1", ["left", "tie"]), ("p2", ["right", "right"])):
        _wait(driver, lambda: _visible(driver, "start-screen"), "the start screen")
        _start(driver, rater)
        order = record["layouts"][layout_for_rater(rater, 3)]["order"]
        for item_index, choice in zip(order, choices):
            left, right = _slot_methods(driver, record)
            _assert_only_controls_of(driver, "pairwise")
            driver.find_element("id", f"choose-{choice}").click()
            expected.append({"rater": rater, "question": "realism", "trial": record["items"][item_index]["trial"],
                             "left": left, "right": right, "choice": choice})
            if rater == "p1" and choice == "left":
                driver.refresh()  # answers survive a reload
                _wait(driver, lambda: _text(driver, "progress") == "Trial 2 of 2", "the resumed study")
        _wait(driver, lambda: _visible(driver, "done-screen"), "the done screen")
        exported = driver.find_element("id", "csv-output").get_attribute("value")
        driver.find_element("id", "new-rater").click()
    # the done screen of the last rater exports everyone's answers collected in this browser
    assert exported.splitlines()[0] == "rater,question,trial,left,right,choice"
    assert list(csv.DictReader(io.StringIO(exported))) == expected
    _wait(driver, lambda: _visible(driver, "start-screen"), "the start screen")
    driver.find_element("id", "rater-id").send_keys("p1")
    driver.find_element("id", "start").click()
    assert "already" in _text(driver, "start-error") and _visible(driver, "start-screen")

    answers = tmp_path / "pairs.csv"
    answers.write_text(exported)
    scores = main(["fit", str(answers), "--out", str(tmp_path / "scores.csv"), "--n-boot", "10"])
    x = scores.set_index("method").loc["x"]
    n_x_wins = sum(1 for r in expected if r["choice"] != "tie" and r[r["choice"]] == "x")
    assert x["win_pct"] == pytest.approx(100 * n_x_wins / 4) and x["tie_pct"] == pytest.approx(25)
    pairs = (tmp_path / "scores_pairs.csv").read_text().splitlines()
    assert pairs[0].startswith("method_a,method_b,n,") and ",4," in pairs[1]
