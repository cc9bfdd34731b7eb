"""AppTest of the Playground page: defaults render, widgets drive the config, Train runs a real job."""

import json
import os
import time

import pytest
from streamlit.testing.v1 import AppTest

PAGE = os.path.join(os.path.dirname(__file__), "..", "..", "pages", "playground.py")


def app(**query):
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k.replace("__", ".")] = v
    return at.run()


def charts(at):
    return {i: json.loads(c.proto.spec) for i, c in enumerate(at.get("plotly_chart"))}


def test_renders_defaults_with_the_untrained_network():
    at = app()
    assert not at.exception and not at.error
    figs = charts(at)
    assert len(figs) == 5  # network, boundary, loss, accuracy, penalty
    titles = [f["layout"]["title"]["text"] for f in figs.values()]
    assert "Output: decision boundary" in titles and "Network: what each neuron computes" in titles
    assert at.selectbox(key="pg.data.dataset").value == "circle"
    assert at.selectbox(key="pg.model.activation").value == "tanh"


def test_every_control_has_a_tooltip_from_the_registry_or_config():
    at = app()
    act = at.selectbox(key="pg.model.activation")
    assert "tanh" in act.help and "(e^x - e^-x)" in act.help  # the formula of the chosen entry
    assert "L2 strength" in at.number_input(key="pg.train.l2").label
    assert "(l2/2) * sum w^2" in at.number_input(key="pg.train.l2").help
    for w in list(at.selectbox) + list(at.number_input) + list(at.slider):
        assert w.help, w.label


def test_widgets_change_the_config_and_the_url():
    at = app()
    at.slider(key="pg.data.noise").set_value(25.0).run()
    at.selectbox(key="pg.model.activation").set_value("relu").run()
    assert at.query_params["data.noise"] == "25.0"
    assert at.query_params["model.activation"] == "relu"
    at.button(key="pg.add_layer").click().run()
    assert at.query_params["model.hidden"] == "4,2,2"


def test_invalid_setup_is_explained_and_train_does_nothing():
    at = app()
    at.slider(key="pg.data.train_frac").set_value(0.9).run()
    at.slider(key="pg.data.val_frac").set_value(0.3).run()
    assert any("less than 5% for the test set" in e.value for e in at.error)
    at.button(key="pg.train").click().run()
    assert "job_playground" not in at.session_state


def test_link_restores_the_setup():
    at = app(data__dataset="spiral", model__hidden="8,8,8", train__lr="0.1", model__activation="relu")
    assert not at.warning
    assert at.selectbox(key="pg.data.dataset").value == "spiral"
    assert at.number_input(key="pg.width.2").value == 8
    assert at.select_slider(key="pg.train.lr").value == 0.1
    assert at.selectbox(key="pg.model.activation").value == "relu"


def test_bad_link_keeps_what_it_can_and_says_what_it_could_not():
    at = app(model__hidden="4,zero", train__colour="red", data__dataset="xor")
    assert not at.exception
    text = " ".join(w.value for w in at.warning)
    assert "expected a whole number" in text and "'train.colour'" in text
    assert at.selectbox(key="pg.data.dataset").value == "xor"  # the valid part of the link still applies


@pytest.mark.slow
def test_train_runs_a_job_and_the_plots_fill_up():
    at = app(train__epochs="40", train__until_paused="0")
    at.button(key="pg.train").click().run()
    assert not at.exception and not at.error
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.5)
        at.run()
        if at.get("plotly_chart") and at.get("progress"):
            break
    figs = charts(at)
    loss = next(f for f in figs.values() if f["layout"]["title"]["text"].startswith("Loss"))
    assert len(loss["data"][0]["y"]) == 40
    assert "finished" in at.get("progress")[0].proto.text
    assert any(d.label == "Run (safetensors)" for d in at.get("download_button"))


def test_train_pressed_before_the_page_first_reached_its_setup_starts_once_it_has():
    """Train pressed at once after joining a class (the page's first drawing cut short before it reached its setup)
    said 'This setup cannot train yet: fix the problems shown in red' with nothing in red, and started nothing."""
    at = app(train__epochs="3", train__until_paused="0")
    del at.session_state["pg.ready"]  # what a first drawing that never reached the end of the page leaves behind
    at.button(key="pg.train").click().run()
    assert not at.exception and not [e.value for e in at.error]
    assert "pg.job_cfg" in at.session_state  # the run started with the setup the page then validated
    assert json.loads(at.session_state["pg.job_cfg"][1])["train"]["epochs"] == 3


def test_a_reload_during_a_run_gets_the_run_back_and_reset_lets_it_go():
    """F5 during a run showed the untrained network with Pause and Stop disabled: the run was out of the student's
    reach (student walkthrough). A reload is a new session of the same browser (person)."""
    from ui.services import job_manager

    def session(person: str, **query: str) -> AppTest:
        at = AppTest.from_file(PAGE, default_timeout=60)
        for k, v in query.items():
            at.query_params[k.replace("__", ".")] = v
        at.session_state["nn_person"] = person  # what ui.session.person_id derives from the browser's cookie
        return at.run()

    first = session("browser:reloading-playground", train__epochs="400", train__until_paused="0",
                    train__speed="slow")
    first.button(key="pg.train").click().run()
    job_id = first.session_state["pg.job_cfg"][0]
    reloaded = session("browser:reloading-playground", train__epochs="400", train__until_paused="0",
                       train__speed="slow")
    assert not reloaded.exception
    assert reloaded.session_state["job_playground"] == job_id
    assert not reloaded.button(key="pg.stop").disabled  # the student can stop it again
    assert "job_playground" not in session("browser:someone-else").session_state
    reloaded.button(key="pg.stop").click().run()
    deadline = time.time() + 30
    while time.time() < deadline and job_manager().find(job_id)[1].status not in ("stopped", "finished"):
        time.sleep(0.2)
    reloaded.run()
    reloaded.button(key="pg.reset").click().run()
    assert "job_playground" not in session("browser:reloading-playground").session_state  # Reset let it go


@pytest.mark.slow
def test_the_default_run_goes_on_until_paused_and_says_so():
    from ui.services import job_manager

    at = app(train__epochs="5", train__speed="fast")
    until = at.toggle(key="pg.train.until_paused")
    assert until.value is True and "Pause" in until.help and "20,000 epochs" in until.help  # the Playground default
    assert "epochs/s" in at.selectbox(key="pg.train.speed").help
    at.button(key="pg.train").click().run()
    job_id = at.session_state["pg.job_cfg"][0]
    deadline, epoch = time.time() + 60, 0
    while time.time() < deadline and epoch <= 5:
        time.sleep(0.2)
        epoch = (job_manager().find(job_id)[1].snapshot or {}).get("epoch", 0)
    assert epoch > 5  # past `epochs`: it trains until the student pauses or stops
    at.run()
    at.button(key="pg.stop").click().run()
    deadline = time.time() + 30
    while time.time() < deadline and job_manager().find(job_id)[1].status != "stopped":
        time.sleep(0.2)
    assert job_manager().find(job_id)[1].status == "stopped"
