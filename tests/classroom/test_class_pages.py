"""The Teacher page and a class member's Playground in AppTest, on a fresh SQLite database: the gate, a class,
a preset whose locked field holds against a session-state edit, and the finished run saved and listed."""

from __future__ import annotations

import json
import os
import time

from streamlit.testing.v1 import AppTest

from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from nnlib.store import classes, presets, runs
from ui import classroom as CR

PAGES = os.path.join(os.path.dirname(__file__), "..", "..", "pages")
PRESET = RunConfig(data=DataConfig(dataset="xor", n_samples=200), model=ModelConfig(hidden=(3,)),
                   train=TrainConfig(lr=0.1, epochs=4, until_paused=False))


def page(name: str, **query: str) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, name), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "error", "info", "success", "caption", "code")
                    for e in at.get(kind))


def test_teacher_page_is_off_without_a_password(class_db, monkeypatch):
    monkeypatch.delenv("NNLIB_TEACHER_PASSWORD")
    CR.close_classroom()
    at = page("teacher.py")
    assert "Teacher features are off" in texts(at) and not at.exception


def test_teacher_unlocks_creates_a_class_and_saves_a_preset(class_db):
    at = page("teacher.py")
    at.text_input(key="teacher.password").set_value("wrong")
    at.button[0].click().run()
    assert "Wrong password." in texts(at)
    at.text_input(key="teacher.password").set_value("let me in")
    at.button[0].click().run()
    at.text_input(key="teacher.class_name").set_value("Group B")
    next(b for b in at.button if b.label == "Create class").click().run()
    (klass,) = classes.all_classes(class_db)
    assert klass.name == "Group B" and f"?class={klass.code}" in texts(at)
    at.text_area(key=f"teacher.preset_json.{klass.id}").set_value(PRESET.to_json())
    at.multiselect(key=f"teacher.locked.{klass.id}").set_value(["train.lr", "model.hidden"])
    next(b for b in at.button if b.label == "Save preset").click().run()
    assert "Preset saved." in texts(at), texts(at)
    saved = presets.current_preset(class_db, klass.id)
    assert saved.locked == ("model.hidden", "train.lr") and RunConfig.from_json(saved.config) == PRESET
    at.text_area(key=f"teacher.preset_json.{klass.id}").set_value('{"train": {"lr": -1}}')
    next(b for b in at.button if b.label == "Save preset").click().run()
    assert "This config cannot be used" in texts(at)


def _teacher_action_without_unlocking() -> None:
    import streamlit as st

    from nnlib.store import classes as K
    from ui import classroom as CR2
    from ui import classroom_teacher as T

    klass = K.create_class(CR2.engine(), "x")
    for action in (lambda: T.create_class("y"), lambda: T.stop_run(klass.id, "job"),
                   lambda: T.share_run(klass.id, 1, True), lambda: T.save_preset(klass.id, "{}", [], []),
                   lambda: T.add_challenge(klass.id, "t", "fewest_params", 0.9, None)):
        try:
            action()
            st.write("allowed")
        except T.NotAllowed as e:
            st.write(f"refused: {e}")


def test_every_teacher_action_is_checked_on_the_server(class_db):
    at = AppTest.from_function(_teacher_action_without_unlocking, default_timeout=60).run()
    said = [m.value for m in at.markdown]
    assert len(said) == 5 and all(s.startswith("refused: only the teacher") for s in said), said


def test_a_locked_field_holds_against_a_session_edit_and_the_run_is_saved(class_db):
    klass = classes.create_class(class_db, "Group B")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), ["train.lr", "model.hidden"], [])
    at = page("playground.py", **{"class": klass.code.lower()})
    assert f"Join the class **{klass.name}**" in texts(at)
    at.text_input(key="class.name").set_value("Ann").run()
    at.button(key="class.join").click().run()
    assert "you are **Ann**" in texts(at) and "learning rate" in texts(at)
    assert at.select_slider(key="pg.train.lr").disabled and at.select_slider(key="pg.train.lr").value == 0.1
    assert at.number_input(key="pg.train.epochs").value == 4 and not at.number_input(key="pg.train.epochs").disabled
    at.session_state["pg.train.lr"] = 3.0  # what a hand-edited session (or URL) would do
    at.session_state["pg.width.0"] = 64
    at.button(key="pg.train").click().run()
    job_id = at.session_state["job_playground"]
    (run,) = _stored_runs_of_an_open_page(at, class_db, klass.id)
    trained = json.loads(run.config)  # what the recorder tracked at submit is what it stored
    assert run.job_id == job_id and trained["train"]["lr"] == 0.1 and trained["model"]["hidden"] == [3]
    assert run.status == "finished" and run.metrics["epochs"] == 4 and run.metrics["params"] == 2 * 3 + 3 + 3 + 1
    at.run()
    assert any(e.label.startswith("My saved runs (1)") for e in at.expander)
    at.button(key=f"pg.open.{run.id}").click().run()
    assert any(m.value.startswith("Run imported: 4 epochs") for m in at.success), texts(at)


def _stored_runs_of_an_open_page(at: AppTest, engine, class_id: int, wait_s: float = 600) -> list:
    """The class's stored runs once there is one, while `at`'s page stays open: an open page's live view polls
    the server every fraction of a second, which keeps its session's jobs alive (the job manager stops the jobs of
    a page silent for NNLIB_IDLE_STOP, 30 s); AppTest does not poll, so this does it for the page. Without it, a
    run still waiting for a worker to warm up 30 s after the Train press (a loaded machine) was stopped as its
    page's, at epoch 0. The stored row is read, not the recorder's live list: a quick run is stored and dropped
    from that list before the script run that started it has returned."""
    from ui.services import job_manager

    session = at.session_state["nn_session"]
    deadline = time.time() + wait_s  # only a bound on a hang: the loop ends as soon as the run is stored
    while time.time() < deadline and not runs.class_runs(engine, class_id):
        job_manager().touch(session, page="visible")
        time.sleep(0.3)
    return runs.class_runs(engine, class_id)


def _submit_from_session() -> None:
    import streamlit as st

    from nnlib.jobs.manager import JobLimitError
    from ui import session as S

    try:
        st.session_state["job"] = S.start_job("playground", st.session_state["payload"])
    except JobLimitError as e:
        st.write(f"refused: {e}")


def test_the_server_applies_the_preset_to_whatever_payload_a_class_member_submits(class_db, monkeypatch):
    from nnlib.store import students

    klass = classes.create_class(class_db, "c")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), ["train.lr"], ["data.dataset"])
    ann = students.join(class_db, klass.id, "Ann", "browser:x")
    edited = PRESET.replace(train={"lr": 3.0, "epochs": 3}, data={"dataset": "circle"}).to_dict()
    at = AppTest.from_function(_submit_from_session, default_timeout=60)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    at.session_state["payload"] = {"config": edited, "interval": 0.5}
    at.run()
    ((tracked, session_id, _),) = CR.recorder().tracked(klass.id)
    trained = json.loads(tracked.config_json)
    assert (trained["train"]["lr"], trained["data"]["dataset"], trained["train"]["epochs"]) == (0.1, "xor", 3)
    assert tracked.owner == f"student:{ann.id}"
    from ui.services import job_manager

    job_manager().command(session_id, tracked.job_id, "stop")
    monkeypatch.setenv("NNLIB_CLASS_MAX_EPOCHS", "2")  # admission: a clear sentence, no job
    at.session_state["payload"] = {"config": PRESET.to_dict()}
    at.run()
    assert [m.value for m in at.markdown] == ["refused: Your class allows at most 2 epochs per run (this one asks "
                                              "for 4); lower the epochs."]


def test_a_hidden_field_is_not_shown_and_keeps_the_preset_value(class_db):
    from nnlib.store import students

    klass = classes.create_class(class_db, "c")
    hidden_preset = PRESET.replace(model={"activation": "sigmoid"})
    presets.save_preset(class_db, klass.id, "p", hidden_preset.to_json(indent=None), [], ["model.activation"])
    ann = students.join(class_db, klass.id, "Ann", "browser:y")
    at = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    at.run()
    assert "pg.model.activation" not in [s.key for s in at.selectbox]
    assert "pg.model.initializer" in [s.key for s in at.selectbox]  # the rest of the tab is there
    at.session_state["pg.model.activation"] = "relu"  # a session edit of the hidden field
    at.run()
    ready_cfg, payload = at.session_state["pg.ready"]
    assert ready_cfg.model.activation == "sigmoid" and payload["config"]["model"]["activation"] == "sigmoid"


def _submit_group_from_session() -> None:
    import streamlit as st

    from nnlib.compare import variant_labels, variants
    from nnlib.config import RunConfig
    from ui.compare_panel import start_group

    configs = variants(RunConfig.from_dict(st.session_state["base"]), st.session_state["knob"],
                       st.session_state["values"])
    labels = variant_labels(st.session_state["knob"], configs)
    st.write(f"answer: {start_group(configs, labels, 'Playground', 'playground')}")  # as the page calls it


def test_a_class_member_cannot_vary_a_locked_knob_and_a_group_keeps_the_preset(class_db, monkeypatch):
    from nnlib.jobs.manager import JobManager
    from nnlib.store import students

    submitted: list[dict] = []
    real_submit = JobManager.submit
    monkeypatch.setattr(JobManager, "submit", lambda self, sid, payload, *a, **k: (
        submitted.append(payload), real_submit(self, sid, payload, *a, **k))[1])
    klass = classes.create_class(class_db, "c")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), ["train.lr"], [])
    ann = students.join(class_db, klass.id, "Ann", "browser:z")
    at = AppTest.from_function(_submit_group_from_session, default_timeout=60)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    at.session_state["base"] = PRESET.to_dict()
    at.session_state["knob"], at.session_state["values"] = "lr", ["0.01", "0.1", "1"]
    at.run()
    assert not submitted and "job_group" not in at.session_state
    assert at.markdown[0].value.startswith("answer: Your class's preset fixes the setting these variants change")
    at.session_state["base"] = PRESET.replace(train={"lr": 3.0}).to_dict()  # an edited session's base run
    at.session_state["knob"], at.session_state["values"] = "dropout", ["0", "0.5"]
    at.run()
    assert at.markdown[0].value == "answer: None"
    ((payload,),) = [submitted]
    assert [c["train"]["lr"] for c in payload["configs"]] == [0.1, 0.1]
    assert [c["model"]["dropout"] for c in payload["configs"]] == [0.0, 0.5]
    from ui.services import job_manager

    m = job_manager()
    sid, _ = m.find(at.session_state["job_group"])
    m.command(sid, at.session_state["job_group"], "stop")


def test_a_labs_group_run_is_held_to_the_class_limits(class_db, monkeypatch):
    """Labs train their experiments as group runs: a class member's lab run gets the class's limits too."""
    from nnlib.store import students

    klass = classes.create_class(class_db, "c")
    ann = students.join(class_db, klass.id, "Ann", "browser:lab")
    monkeypatch.setenv("NNLIB_CLASS_MAX_EPOCHS", "2")
    at = AppTest.from_file(os.path.join(PAGES, "labs", "learning_rate.py"), default_timeout=120)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    at.run()
    slot = next(b.key for b in at.button if b.key and b.key.endswith(".train")).removesuffix(".train")
    at.button(key=f"{slot}.train").click().run()
    assert f"job_{slot}" not in at.session_state
    assert any("Your class allows at most 2 epochs per run" in e.value for e in at.error), texts(at)


def test_a_reload_keeps_the_student_in_the_class_with_their_runs(class_db):
    from nnlib.store import students

    klass = classes.create_class(class_db, "Group C")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), ["train.lr"], [])
    at = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    at.session_state["nn_person"] = "browser:ann-laptop"  # the browser's cookie, the same after a reload
    at.query_params["class"] = klass.code
    at.run()
    at.text_input(key="class.name").set_value("Ann").run()
    at.button(key="class.join").click().run()
    assert "you are **Ann**" in texts(at)
    at.number_input(key="pg.train.epochs").set_value(7).run()  # her own setup (epochs are not locked)
    address = {k: at.query_params[k] for k in at.query_params}
    assert address.get("class") in (klass.code, [klass.code]), address
    (ann,) = students.class_students(class_db, klass.id)
    runs.save_run(class_db, job_id="j-ann", owner=f"student:{ann.id}", class_id=klass.id, page="playground",
                  status="finished", config_json=PRESET.to_json(indent=None), history={"epoch": [1]},
                  metrics={"epochs": 1}, weights=None, created_at=time.time())

    reloaded = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    reloaded.session_state["nn_person"] = "browser:ann-laptop"
    for k, v in address.items():
        reloaded.query_params[k] = v
    reloaded.run()
    assert not reloaded.exception and "Join the class" not in texts(reloaded)
    assert "you are **Ann**" in texts(reloaded)
    assert any(e.label.startswith("My saved runs (1)") for e in reloaded.expander)
    assert reloaded.number_input(key="pg.train.epochs").value == 7  # the reloaded address keeps her setup

    bare_link = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    bare_link.session_state["nn_person"] = "browser:ann-laptop"
    bare_link.query_params["class"] = klass.code  # the class link alone (e.g. after a server restart)
    bare_link.run()
    assert "you are **Ann**" in texts(bare_link) and "Join the class" not in texts(bare_link)
    assert bare_link.selectbox(key="pg.data.dataset").value == "xor"  # the class preset, not the page's default
    assert bare_link.number_input(key="pg.train.epochs").value == PRESET.train.epochs

    stranger = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    stranger.session_state["nn_person"] = "browser:someone-else"  # the same address in another browser
    for k, v in address.items():
        stranger.query_params[k] = v
    stranger.run()
    assert f"Join the class **{klass.name}**" in texts(stranger) and "you are **Ann**" not in texts(stranger)

    other_page = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    other_page.session_state["nn_person"] = "browser:ann-laptop"  # a reload of a page whose address has no class
    other_page.run()
    assert "you are **Ann**" in texts(other_page) and "Join the class" not in texts(other_page)

    reloaded.button(key="class.leave").click().run()
    assert "class" not in reloaded.query_params and "you are" not in texts(reloaded)
    after_leaving = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    after_leaving.session_state["nn_person"] = "browser:ann-laptop"
    after_leaving.run()
    assert "you are" not in texts(after_leaving)


def test_continue_without_a_class_leaves_the_join_form_for_good(class_db):
    at = page("playground.py", **{"class": "NOSUCH"})
    assert "No class has the code NOSUCH" in texts(at)
    at.button(key="class.skip").click().run()
    assert "class" not in at.query_params and "Join the class" not in texts(at) and "No class has" not in texts(at)
    at.run()  # the next run (any widget) does not bring the form back
    assert "No class has" not in texts(at) and not at.exception


def test_the_knob_list_leaves_out_what_the_class_preset_fixes(class_db):
    """A walkthrough student varied the locked learning rate through Change one knob (the page passed its display
    name where the class rules wanted its slot) and read the hidden activation in the knob's caption."""
    from nnlib.store import students

    klass = classes.create_class(class_db, "c")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), ["train.lr", "model.hidden"],
                        ["model.activation"])
    ann = students.join(class_db, klass.id, "Ann", "browser:knobs")
    at = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    at.run()
    knobs = at.selectbox(key="pg.knob").options
    assert "Dropout" in knobs and "Optimizer" in knobs, knobs  # the options as the student reads them
    assert not [k for k in knobs if k.startswith(("Learning rate", "Activation", "Width", "Depth", "Hidden"))], knobs


def test_a_train_until_paused_run_ends_at_the_class_epoch_limit_instead_of_being_refused(class_db, monkeypatch):
    """A walkthrough's class could not train at all: the default preset runs "until I pause", which counted as the
    server's 20,000-epoch horizon and was refused against the class's 1,000 epochs on every Train."""
    from nnlib.store import students

    monkeypatch.setenv("NNLIB_CLASS_MAX_EPOCHS", "300")
    klass = classes.create_class(class_db, "c")
    open_ended = PRESET.replace(train={"until_paused": True})
    presets.save_preset(class_db, klass.id, "p", open_ended.to_json(indent=None), ["train.lr"], [])
    ann = students.join(class_db, klass.id, "Ann", "browser:open")
    at = AppTest.from_function(_submit_from_session, default_timeout=60)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    at.session_state["payload"] = {"config": open_ended.to_dict(), "interval": 0.5}
    at.run()
    assert not [m.value for m in at.markdown if str(m.value).startswith("refused")]
    ((tracked, session_id, _),) = CR.recorder().tracked(klass.id)
    trained = json.loads(tracked.config_json)["train"]
    assert (trained["until_paused"], trained["epochs"]) == (False, 300)
    from ui.services import job_manager

    job_manager().command(session_id, tracked.job_id, "stop")


def test_a_member_who_joined_through_the_form_keeps_the_preset_after_another_page(class_db):
    """The name form stops the Playground before its widgets: the app defaults it had seeded came back after a trip
    to Compare (Streamlit restores such a value once the widget is dropped), instead of the class preset."""
    klass = classes.create_class(class_db, "Group D")
    preset = RunConfig(data=DataConfig(dataset="spiral"), model=ModelConfig(hidden=(8, 8)))
    presets.save_preset(class_db, klass.id, "p", preset.to_json(indent=None), [], [])
    at = AppTest.from_file(os.path.join(PAGES, "..", "app.py"), default_timeout=120)
    at.query_params["class"] = klass.code
    at.run()
    at.text_input(key="class.name").set_value("Ann").run()
    at.button(key="class.join").click().run()
    assert at.selectbox(key="pg.data.dataset").value == "spiral"
    at.toggle(key="pg.train.until_paused").set_value(False).run()  # Epochs is greyed while it is on
    at.number_input(key="pg.train.epochs").set_value(50).run()  # the student's own change is kept too
    at.switch_page("pages/compare.py").run()
    at.switch_page("pages/playground.py").run()
    assert not at.exception
    assert at.selectbox(key="pg.data.dataset").value == "spiral"
    assert tuple(at.session_state["pg.model.hidden"]) == (8, 8) and at.session_state["pg.train.epochs"] == 50
    assert at.session_state["pg.train.until_paused"] is False
    assert at.query_params["data.dataset"] == "spiral"
