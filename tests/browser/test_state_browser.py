"""In a real browser: every setting survives Playground -> Images & CNNs -> Playground -> Train -> finish (and the
same walk for the CNN page), checked widget by widget against the config the job ran with, read back from the
run file the page exports; the finished run shows a full bar and no Stop."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlparse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from nnlib.config import RunConfig
from tests.browser.conftest import shot
from ui.run_file import _header

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SELECT_VALUES = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=stSelectbox] input')].map(
  e => [e.getAttribute('aria-label'), e.value]))"""
NUMBER_VALUES = """() => Object.fromEntries([...document.querySelectorAll('input[type=number]')].map(
  e => [e.getAttribute('aria-label'), e.value]))"""
PG_LINK = ("data.dataset=xor&data.noise=10.0&model.hidden=5,3&model.activation=relu&model.initializer=he_normal"
           "&train.epochs=30&train.lr=0.1&train.batch_size=5&train.optimizer=momentum&train.momentum=0.5"
           "&train.seed=7&train.until_paused=0")


def go(page, name: str, wait_text: str) -> None:
    page.locator("[data-testid=stTopNav] a", has_text=name).click()
    page.wait_for_selector(f"text={wait_text}", timeout=90_000)


def no_traceback(page) -> None:
    body = page.inner_text("body")
    assert "Traceback" not in body and "KeyError" not in body and "has no key" not in body


def ran_config(page, prefix: str) -> RunConfig:
    """The config the finished job ran with, from the exported run file's metadata."""
    button = page.get_by_role("button", name="Run (safetensors)")
    for _ in range(3):  # a rerun that lands with the click (the finished run's last one) can fold the expander again
        if button.is_visible():
            break
        page.get_by_text("Share, import and export").click()
        try:
            button.wait_for(state="visible", timeout=20_000)
        except PlaywrightTimeout:
            continue
    with page.expect_download(timeout=60_000) as dl:
        button.click()
    data = open(dl.value.path(), "rb").read()
    return RunConfig.from_json(_header(data)["__metadata__"]["config"])


def assert_finished_bar(page, epochs: int) -> None:
    page.wait_for_selector(f"text=all {epochs} epochs done", timeout=120_000)
    bar = page.locator("[data-testid=stProgress] [role=progressbar]").first
    assert bar.get_attribute("aria-valuenow") == "100"
    assert page.get_by_role("button", name="Stop", exact=True).is_disabled()
    assert page.get_by_role("button", name="Pause", exact=True).is_disabled()


def label(registry_name: str, value: str) -> str:
    from nnlib.activations import ACTIVATIONS
    from nnlib.initializers import INITIALIZERS
    from nnlib.optimizers import OPTIMIZERS

    reg = {"activation": ACTIVATIONS, "initializer": INITIALIZERS, "optimizer": OPTIMIZERS}[registry_name]
    return reg[value].label


def test_playground_settings_survive_the_walk_and_the_finished_run(server, page):
    page.goto(f"{server}/?{PG_LINK}")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    go(page, "Images & CNNs", "Model summary")
    go(page, "Playground", "Neural-network playground")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    no_traceback(page)
    page.get_by_role("button", name="Train", exact=True).click()
    assert_finished_bar(page, 30)
    shot(page, "state_playground_finished")
    no_traceback(page)
    ran = ran_config(page, "pg")
    assert ran == RunConfig.from_query(PG_LINK)  # the job ran the linked setup
    selects, numbers = page.evaluate(SELECT_VALUES), page.evaluate(NUMBER_VALUES)
    assert selects["Dataset"] == ran.data.dataset
    for name in ("activation", "initializer"):
        assert selects[name.capitalize()] == label(name, getattr(ran.model, name)), (name, selects)
    assert selects["Optimizer"] == label("optimizer", ran.train.optimizer)
    assert numbers["Epochs"] == str(ran.train.epochs) and numbers["Batch size"] == str(ran.train.batch_size)
    assert numbers["Seed"] == str(ran.train.seed) and float(numbers["Momentum"]) == ran.train.momentum
    assert [int(numbers[f"layer {i + 1}"]) for i in range(2)] == list(ran.model.hidden)
    assert float(numbers["Dropout rate"]) == ran.model.dropout
    url_settings = dict(parse_qsl(urlparse(page.url).query))  # the address bar is what every widget describes
    assert RunConfig.from_query(url_settings) == ran


def test_first_sidebar_click_on_the_same_page_keeps_the_defaults(server, page):
    page.goto(f"{server}/?train.epochs=20&train.until_paused=0")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    go(page, "Playground", "Neural-network playground")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    page.get_by_role("button", name="Train", exact=True).click()
    assert_finished_bar(page, 20)
    selects = page.evaluate(SELECT_VALUES)
    assert selects["Activation"] == label("activation", "tanh") and selects["Initializer"] == label(
        "initializer", "xavier_uniform"), selects
    assert RunConfig.from_query(dict(parse_qsl(urlparse(page.url).query))) == RunConfig().replace(
        train={"epochs": 20, "until_paused": False})


def test_cnn_settings_and_blocks_survive_the_walk_and_the_finished_run(server, page):
    page.goto(f"{server}/cnn?train.epochs=2&data.n_samples=400&model.activation=tanh")
    page.wait_for_selector("text=Model summary", timeout=90_000)
    page.locator("button", has_text="Block").first.click()  # + a third block
    page.wait_for_selector("text=3 conv blocks", timeout=30_000)
    go(page, "Playground", "Neural-network playground")
    go(page, "Images & CNNs", "Model summary")
    page.wait_for_selector("text=3 conv blocks", timeout=30_000)
    no_traceback(page)
    page.get_by_role("button", name="Train", exact=True).click()
    assert_finished_bar(page, 2)
    shot(page, "state_cnn_finished")
    ran = ran_config(page, "cnn")
    assert len(ran.model.cnn.blocks) == 3 and ran.model.activation == "tanh"
    assert ran.train.epochs == 2 and ran.data.n_samples == 400
    selects, numbers = page.evaluate(SELECT_VALUES), page.evaluate(NUMBER_VALUES)
    assert selects["Activation"] == label("activation", "tanh") and numbers["Epochs"] == "2"
    assert page.get_by_text("3 conv blocks").is_visible()
