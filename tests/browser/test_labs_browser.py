"""Every lab in a real browser: opened by its own URL (with link parameters), its main experiment run the way a
student runs it -- Play on the animated labs (the animation runs in the browser, not by Streamlit reruns), a
slider or a select on the others -- and the figure seen to change. Screenshots land in test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser
TIMEOUT = 60_000


def open_lab(page, server: str, name: str, query: str = "") -> None:
    page.goto(f"{server}/lab-{name}{'?' + query if query else ''}")
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    assert not page.locator('[data-testid="stException"]').count()


def plot_text(page, i: int = 0) -> str:
    return page.locator(".js-plotly-plot").nth(i).text_content() or ""


def wait_for_plot_text(page, pattern: str, i: int = 0) -> None:
    """Until the i-th figure's text matches (plotly redraws asynchronously)."""
    page.wait_for_function(
        "([i, pattern]) => new RegExp(pattern).test(document.querySelectorAll('.js-plotly-plot')[i]?.textContent"
        " || '')", arg=[i, pattern], timeout=TIMEOUT)


def wait_for_step(page, text: str, i: int = 0) -> None:
    """Until the i-th figure's slider reads `text` (a regular expression) in its current-value label (the
    first label of the slider; the tick labels follow)."""
    page.wait_for_function(
        "([i, pattern]) => new RegExp('^' + pattern + '$').test(document.querySelectorAll('.js-plotly-plot')[i]"
        "?.querySelector('.slider-container text.slider-label')?.textContent || '')", arg=[i, text], timeout=TIMEOUT)


POINTS_OF_FIRST_LINE = ("document.querySelector('.js-plotly-plot')?.querySelector('.scatterlayer .trace')"
                        "?.querySelectorAll('.point').length")


def points_of_first_line(page) -> int:
    """Markers of the first line of the first figure (one per hidden layer on the initialization lab)."""
    return page.evaluate(f"() => {POINTS_OF_FIRST_LINE}")


def play(page, i: int = 0) -> None:
    page.locator(".js-plotly-plot").nth(i).locator(".updatemenu-button").first.click()


def nudge_slider(page, label: str, key: str, times: int = 1) -> None:
    """Focus a Streamlit slider by its label and press an arrow key (how a keyboard user moves it)."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider")
    slider.focus()
    for _ in range(times):
        slider.press(key)


def test_the_convolution_lab_plays_the_lecture_example_to_its_last_dot_product(page, server):
    open_lab(page, server, "convolution", "conv.lecture=1&conv.padding=0")
    assert "step 1 of 9" in plot_text(page)
    play(page)
    wait_for_plot_text(page, r"step 9 of 9: sum of window × kernel = 13")
    shot(page, "lab_convolution_played")


def test_the_pooling_lab_plays_its_windows(page, server):
    open_lab(page, server, "pooling_norm", "pool.kind=sum&pool.rows=4&pool.cols=4")
    assert "window 1 of 4" in plot_text(page)
    play(page)
    wait_for_plot_text(page, r"window 4 of 4: sum = ")


def test_the_optimizer_race_animates_from_the_start(page, server):
    open_lab(page, server, "optimizers", "optimizers.steps=30&optimizers.optimizers=sgd,momentum")
    wait_for_step(page, "step 30")
    play(page)  # the race opens on its last step; Play replays it from the start
    wait_for_step(page, r"step ([0-9]|[12][0-9])")
    wait_for_step(page, "step 30")
    shot(page, "lab_optimizers_played")


def test_the_dropout_lab_averages_passes(page, server):
    open_lab(page, server, "dropout", "dropout.p=0.5&dropout.passes=50")
    assert "after 1 pass:" in plot_text(page, 1)
    play(page, 1)
    wait_for_plot_text(page, r"after 50 passes", 1)
    wait_for_step(page, "passes 50", 1)


def test_the_losses_lab_tilts_mse_with_more_outliers(page, server):
    open_lab(page, server, "losses", "losses.n_outliers=0")
    before = re.search(r"mse: y = [-\d.]+ x", plot_text(page)).group(0)
    nudge_slider(page, "Outliers", "End")
    page.wait_for_function("(b) => !(document.querySelector('.js-plotly-plot')?.textContent || b).includes(b)",
                           arg=before,
                           timeout=TIMEOUT)
    assert "outliers" in plot_text(page)


def test_the_activation_and_initialization_labs_follow_their_sliders(page, server):
    open_lab(page, server, "activations", "activations.activation=relu&activations.hi=6")
    nudge_slider(page, "Right end of x", "End")
    wait_for_plot_text(page, r"50")
    open_lab(page, server, "initialization", "init.depth=10&init.width=100")
    assert points_of_first_line(page) == 10
    nudge_slider(page, "Layers", "Home")  # one layer
    page.wait_for_function(f"() => ({POINTS_OF_FIRST_LINE}) === 1", timeout=TIMEOUT)
    shot(page, "lab_initialization_one_layer")


def test_the_zoo_shows_the_chosen_nets_layer_table(page, server):
    open_lab(page, server, "zoo", "zoo.net=vgg16")
    page.get_by_text(re.compile(r"VGG-16 \(2014\): 138,357,544 parameters")).wait_for(timeout=TIMEOUT)
    assert "VGG-16" in plot_text(page)


def test_the_course_maps_softmax_link_lands_on_the_softmax_part(page, server):
    """The course map's "Softmax" opened the Losses lab at the line-fitting chart, the softmax part two screens
    down: its link names the temperature slider (focus=...), which the page scrolls into view."""
    from nnlib.course_map import COURSE

    page.set_viewport_size({"width": 1280, "height": 720})
    (softmax,) = [c for c in COURSE if c.title == "Softmax"]
    page.goto(f"{server}{softmax.link}")
    page.wait_for_selector(".st-key-softmax_chart .js-plotly-plot", timeout=TIMEOUT)
    page.wait_for_function("""() => { const r = (s) => document.querySelector(s)?.getBoundingClientRect();
        const slider = r('.st-key-lab-losses-temperature'), chart = r('.st-key-softmax_chart');
        return slider && chart && slider.top >= 0 && slider.bottom <= innerHeight && chart.top < innerHeight - 150;
        }""",
                           timeout=TIMEOUT)
    shot(page, "course_map_softmax_link")
