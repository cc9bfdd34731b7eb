"""Train a Playground job in headless Chromium against an already running server (the container check's last step).

`python -m tests.platform.container_playground URL [ARTIFACTS]`: opens the Playground on a short XOR run, presses
Train, waits until the live view says the run finished (the job ran in the server's worker pool and its snapshots
came through the /nnlive route), checks /nnlive/health once more and saves screenshots. Exit 0 on success.
"""

from __future__ import annotations

import os
import sys
import urllib.request

from tests.browser.conftest import ARGS, CHROMIUM, wait_for

LIVE = "() => { const r = document.querySelector('.nnlive'); return r ? {...r.dataset} : null }"
EPOCHS = 60


def train_once(url: str, artifacts: str, shot: str = "container_playground", browser=None) -> dict:
    """The dataset of the live view once the run finished (status, epoch, ...). `browser`: a playwright Browser to
    use (pytest's session browser: a second sync_playwright cannot start inside its event loop); else one of its
    own is launched."""
    if browser is not None:
        return _train_in(browser, url, artifacts, shot)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        own = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            return _train_in(own, url, artifacts, shot)
        finally:
            own.close()


def _train_in(browser, url: str, artifacts: str, shot: str) -> dict:
    os.makedirs(artifacts, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    try:
        page.goto(f"{url}/?data.dataset=xor&train.epochs={EPOCHS}&train.until_paused=false")
        page.wait_for_selector("text=Neural-network playground", timeout=120_000)
        page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=120_000)
        page.get_by_role("button", name="Train", exact=True).click()
        return wait_for(page, LIVE, lambda v: bool(v) and v.get("status") in ("finished", "failed", "stopped"),
                        timeout=180.0)
    finally:
        page.screenshot(path=os.path.join(artifacts, f"{shot}.png"), full_page=True)
        page.close()


def main(argv: list[str]) -> int:
    url = argv[1].rstrip("/")
    artifacts = argv[2] if len(argv) > 2 else "test-artifacts"
    live = train_once(url, artifacts)
    health = urllib.request.urlopen(f"{url}/nnlive/health", timeout=10).read().decode()
    print(f"container check: Playground run at {url}: status={live.get('status')} epoch={live.get('epoch')} "
          f"health={health}")
    return 0 if live.get("status") == "finished" and health == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
