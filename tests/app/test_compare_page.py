"""AppTest of comparing runs: pin a Playground run, train three dropout variants as one group job, and read the
Compare page's overlaid curves, highlighted differences and export."""

from __future__ import annotations

import json
import os
import time

from streamlit.testing.v1 import AppTest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def wait_until(at: AppTest, done, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        if done(at):
            return
        time.sleep(0.5)
    raise AssertionError("timed out")


def test_an_empty_comparison_says_what_to_do() -> None:
    at = AppTest.from_file(os.path.join(ROOT, "pages", "compare.py"), default_timeout=60).run()
    assert not at.exception
    assert any("Nothing pinned yet" in i.value for i in at.info)


def test_pin_then_change_one_knob_then_compare() -> None:
    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=90)
    for k, v in {"train.epochs": "15", "train.until_paused": "false", "train.speed": "fast"}.items():
        at.query_params[k] = v
    at.run()
    assert at.button(key="pg.pin").disabled  # nothing to pin before a run
    at.button(key="pg.train").click().run()
    wait_until(at, lambda a: "finished" in (a.get("progress")[0].proto.text if a.get("progress") else ""))
    at.button(key="pg.pin").click().run()
    assert any("Pinned Playground run 1" in s.value for s in at.success)
    assert at.button(key="pg.pin").disabled  # pinned once
    assert at.selectbox(key="pg.knob").value == "dropout" and at.selectbox(key="pg.knob").help
    at.text_input(key="pg.knob_values.dropout").set_value("0, 0.2, 0.5")
    at.button(key="pg.knob_train").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("3 variants of dropout" in s.value for s in at.success)

    at.switch_page("pages/compare.py").run()
    assert not at.exception

    def group_done(a: AppTest) -> bool:
        return "finished" in " ".join(m.value for m in a.markdown if "Variant group" in m.value)

    wait_until(at, group_done)
    figs = {f["layout"]["title"]["text"].split(" (")[0]: f for f in charts(at)}
    loss = figs["Loss"]
    names = [t["name"] for t in loss["data"]]
    assert names[:2] == ["Playground run 1 · train", "Playground run 1 · validation"]
    assert "Dropout = 0.5 · validation" in names and len(names) == 8  # 4 runs x (train, validation)
    assert "Accuracy" in figs
    results = at.dataframe[0].value
    assert list(results["run"]) == ["Playground run 1", "Dropout = 0", "Dropout = 0.2", "Dropout = 0.5"]
    assert list(results["Dropout"]) == ["0", "0", "0.2", "0.5"]  # the one differing field, named as its knob
    assert set(results["status"]) == {"finished"} and list(results["epochs"]) == [15] * 4
    assert {d.label for d in at.get("download_button")} >= {"Export CSV", "Export JSON"}
    assert any("Playground run 1 and Dropout = 0 have the same settings" in c.value for c in at.caption)

    at.multiselect(key="cmp.unpin_choice").set_value(["1. Playground run 1"]).run()
    at.button(key="cmp.unpin").click().run()
    assert len(at.dataframe[0].value) == 3
    at.button(key="cmp.clear").click().run()
    assert any("Nothing pinned yet" in i.value for i in at.info)


def test_the_cnn_page_offers_pin_and_its_own_knobs() -> None:
    at = AppTest.from_file(os.path.join(ROOT, "pages", "cnn.py"), default_timeout=90).run()
    assert not at.exception
    assert at.button(key="cnn.pin").disabled and at.button(key="cnn.pin").help
    knob = at.selectbox(key="cnn.knob")
    assert knob.value == "dense_dropout" and "width" not in knob.options
    assert at.text_input(key="cnn.knob_values.dense_dropout").value == "0, 0.25, 0.5"


def test_a_group_started_from_the_playground_is_kept_alive_by_the_page() -> None:
    """The Playground's charts poll only its own run (none here), so the page mounts a keep-alive for its group:
    without it the group's session went silent and the server stopped the group while the page was open."""
    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=90)
    for k, v in {"train.epochs": "3000", "train.until_paused": "false", "train.speed": "slow"}.items():
        at.query_params[k] = v
    at.run()
    assert not [c for c in at.get("bidi_component") if c.proto.component_name == "nn_keep_alive"]
    at.text_input(key="pg.knob_values.dropout").set_value("0, 0.2")
    at.button(key="pg.knob_train").click().run()
    group = at.session_state["job_group"]
    keep = [c for c in at.get("bidi_component") if c.proto.component_name == "nn_keep_alive"]
    assert len(keep) == 1 and json.loads(keep[0].proto.json)["tokens"] == [group], keep
    stop_job(group)


def stop_job(job_id: str) -> None:
    from ui.services import job_manager

    m = job_manager()
    found = m.find(job_id)
    if found is not None:
        m.command(found[0], job_id, "stop")


def test_a_finished_run_the_job_manager_forgot_can_still_be_pinned() -> None:
    """A page left open for minutes still shows its finished run, but the job manager has let the job go: "Pin to
    compare" said "That run is gone". It pins what the page shows, its config and curves."""
    from ui import compare_store
    from ui.services import job_manager

    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=90)
    for k, v in {"train.epochs": "12", "train.until_paused": "false", "train.speed": "fast"}.items():
        at.query_params[k] = v
    at.run()
    at.button(key="pg.train").click().run()
    wait_until(at, lambda a: "finished" in (a.get("progress")[0].proto.text if a.get("progress") else ""))
    job_id = at.session_state["job_playground"]
    owner, _ = job_manager().find(job_id)
    job_manager().remove(owner, job_id)  # what the manager does to a finished job after its keep time
    at.button(key="pg.pin").click().run()
    assert not at.exception
    assert any("Pinned Playground run 1" in s.value for s in at.success), [w.value for w in at.warning]
    pinned = [p for p in compare_store.pins(at.session_state["nn_person"], job_manager()) if p.job_id == job_id]
    assert pinned and pinned[0].status == "finished" and pinned[0].epoch == 12
    assert len(pinned[0].history.get("loss") or pinned[0].history.get("train_loss") or []) > 0, pinned[0].history
