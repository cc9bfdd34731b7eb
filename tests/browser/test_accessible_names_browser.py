"""What a screen reader says for the Playground's icon-only buttons and the number inputs' -/+ buttons: a name
that tells them apart ("Add a hidden layer", "Increase Epochs"), not "add icon" or a dozen "Increment"s."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser]


def open_tab(page, server: str, tab: str) -> None:
    page.goto(f"{server}/")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    page.get_by_role("tab", name=tab).click()


def test_the_hidden_layer_buttons_are_named_and_still_show_only_their_icon(server, page) -> None:
    open_tab(page, server, "Network")
    for name in ("Add a hidden layer", "Remove the last hidden layer"):
        button = page.get_by_role("button", name=name, exact=True)
        button.wait_for(timeout=30_000)
        label = button.locator("[data-testid=stMarkdownContainer]").bounding_box()
        assert label is not None and label["width"] <= 1 and label["height"] <= 1, (name, label)  # out of sight
    page.get_by_role("button", name="Add a hidden layer", exact=True).click()
    page.get_by_text("3 hidden layers").wait_for(timeout=30_000)
    shot(page, "accessible_names_network")


def test_every_step_button_names_its_field(server, page) -> None:
    open_tab(page, server, "Training")
    page.get_by_role("button", name="Increase Epochs", exact=True).wait_for(state="attached", timeout=30_000)
    assert page.get_by_role("button", name="Decrease Batch size", exact=True).count() == 1
    page.get_by_role("tab", name="Network").click()  # widgets that appear later get their names too
    page.get_by_role("button", name="Increase layer 2", exact=True).wait_for(state="attached", timeout=30_000)
    unnamed = page.evaluate("""() => [...document.querySelectorAll('[data-testid^=stNumberInputStep]')]
        .map((b) => b.getAttribute('aria-label')).filter((n) => n === 'Increment' || n === 'Decrement')""")
    assert unnamed == []


def test_a_lab_without_live_charts_names_its_step_buttons_too(server, page) -> None:
    """The naming lived in the live charts' script, so the labs' number fields (Convolution's kernel size, stride,
    ...) kept a list of 'Increment's; it is now mounted on every page."""
    page.goto(f"{server}/lab-convolution")
    page.wait_for_selector("[data-testid=stNumberInputContainer]", timeout=90_000)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=stNumberInputStepUp]')]
        .every((b) => (b.getAttribute('aria-label') || '').startsWith('Increase '))""", timeout=30_000)
    names = page.evaluate("""() => [...document.querySelectorAll('[data-testid^=stNumberInputStep]')]
        .map((b) => b.getAttribute('aria-label'))""")
    assert len(names) >= 4 and not {"Increment", "Decrement"} & set(names), names
