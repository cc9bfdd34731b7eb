"""Shared pytest setup: the project root on sys.path (also for spawned workers) and small helpers."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault("NNLIB_ALLOW_DOWNLOAD", "0")  # tests never touch the network
os.environ["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run, shared by tests/browser and the platform tests: playwright's sync
    API keeps an event loop in the main thread, so a second sync_playwright cannot start beside it."""
    import shutil

    from tests.browser.conftest import ARGS, CHROMIUM, MISSING_CHROMIUM

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        # a failure, not a skip: a suite that goes green without its browser tests hides broken pages
        # (`make test` installs chromium first; deselect on purpose with `pytest -m "not browser"`)
        pytest.fail(MISSING_CHROMIUM.format(path=CHROMIUM), pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()
