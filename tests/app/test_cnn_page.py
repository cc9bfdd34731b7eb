"""AppTest of the Images & CNNs page: defaults, presets, invalid specs, offline datasets, a real training job,
and predictions (including a bad upload)."""

from __future__ import annotations

import io
import json
import os
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

PAGE = os.path.join(os.path.dirname(__file__), "..", "..", "pages", "cnn.py")


def app(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=90)
    for k, v in query.items():
        at.query_params[k.replace("__", ".")] = v
    return at.run()


def total_params(at: AppTest) -> int:
    table = at.dataframe[0].value
    return int(table["parameters"].iloc[-1])


def charts(at: AppTest) -> dict[str, dict]:
    out = {}
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        out[spec["layout"].get("title", {}).get("text", "")] = spec
    return out


def test_renders_defaults_with_summary():
    at = app()
    assert not at.exception and not at.error
    assert at.selectbox(key="cnn.data.dataset").value == "digits"
    assert at.selectbox(key="cnn.spec.preset").value == "tiny"
    table = at.dataframe[0].value
    assert list(table["layer"])[:2] == ["input", "block 1 (conv) conv 3x3"]
    assert table["parameter formula"].iloc[1] == "3 x 3 x 1 x 8 + 8 = 80"
    assert total_params(at) == 3658
    assert any("Device: **cpu**" in c.value for c in at.caption)
    assert at.button(key="cnn.train") and at.button(key="cnn.reset")


def test_preset_change_changes_the_summary():
    at = app()
    before = total_params(at)
    at.selectbox(key="cnn.spec.preset").set_value("lenet5").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert total_params(at) != before
    assert "5 x 5 x 1 x 6 + 6 = 156" in list(table["parameter formula"])
    at.selectbox(key="cnn.spec.preset").set_value("mlp").run()
    assert not at.exception
    assert at.dataframe[0].value["layer"].iloc[1].startswith("hidden 1")
    assert at.query_params["model.cnn"] == "null"  # the baseline has no CNN spec, said in the link
    again = app(**{k: at.query_params[k] for k in at.query_params})
    assert again.selectbox(key="cnn.spec.preset").value == "mlp"


def test_invalid_spec_shows_the_formula_sentence():
    at = app()
    at.number_input(key="cnn.spec.1.padding").set_value(0).run()
    at.number_input(key="cnn.spec.1.kernel").set_value(7).run()
    errors = " ".join(e.value for e in at.error)
    assert "(W - F + 2P) / S + 1" in errors and "block 2" in errors
    at.button(key="cnn.train").click().run()
    assert "job_cnn" not in at.session_state
    assert any("cannot train yet" in e.value for e in at.error)  # pressing Train says why nothing starts


def test_partial_link_keeps_page_defaults():
    at = app(train__epochs="7", data__dataset="shapes")
    assert not at.exception and not at.warning
    assert at.number_input(key="cnn.train.epochs").value == 7
    assert at.selectbox(key="cnn.data.dataset").value == "shapes"
    assert at.selectbox(key="cnn.spec.preset").value == "tiny"
    assert at.dataframe[0].value["output shape"].iloc[0] == "1 x 28 x 28"


def test_augmentation_preview():
    at = app()
    at.session_state["cnn.data.augment"] = ["rotate", "noise"]
    at.run()
    assert not at.exception
    preview = charts(at)["What training sees: rotate + noise"]
    assert preview["data"][0]["type"] == "image" and preview["data"][0]["source"].startswith("data:image/png")
    assert at.query_params["data.augment"] == "rotate,noise"


def test_torchvision_dataset_offline_shows_the_message():
    at = app()
    at.selectbox(key="cnn.data.dataset").set_value("cifar10").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "CIFAR-10 is not on this machine" in errors and "Offline alternatives" in errors


def test_block_editing_and_url_round_trip():
    at = app()
    at.button(key="cnn.spec.add").click().run()
    assert at.session_state["cnn.spec.n_blocks"] == 3
    at.number_input(key="cnn.spec.2.out_channels").set_value(4).run()
    spec = json.loads(at.query_params["model.cnn"])
    assert len(spec["blocks"]) == 3 and spec["blocks"][2]["out_channels"] == 4
    again = app(**{k: at.query_params[k] for k in at.query_params})
    assert again.session_state["cnn.spec.n_blocks"] == 3
    assert again.number_input(key="cnn.spec.2.out_channels").value == 4


def test_link_keeps_values_that_equal_runconfig_defaults_and_the_edited_preset():
    """Epochs 100, sgd, tanh are RunConfig's defaults but not this page's: the link must still carry them. An edited
    LeNet-5 comes back as 'LeNet-5, edited', and the probe image comes back too."""
    at = app()
    at.selectbox(key="cnn.spec.preset").set_value("lenet5").run()
    at.number_input(key="cnn.train.epochs").set_value(100).run()
    at.selectbox(key="cnn.train.optimizer").set_value("sgd").run()
    at.selectbox(key="cnn.model.activation").set_value("tanh").run()
    at.number_input(key="cnn.data.n_samples").set_value(500).run()
    at.selectbox(key="cnn.spec.0.norm").set_value("group").run()
    at.number_input(key="cnn.probe").set_value(5).run()
    assert not at.exception
    q = {k: at.query_params[k] for k in at.query_params}
    assert q["train.epochs"] == "100" and q["train.optimizer"] == "sgd" and q["model.activation"] == "tanh"
    assert q["arch"] == "lenet5" and q["probe"] == "5"
    again = app(**q)
    assert not again.exception and not again.warning
    assert again.number_input(key="cnn.train.epochs").value == 100
    assert again.selectbox(key="cnn.train.optimizer").value == "sgd"
    assert again.selectbox(key="cnn.model.activation").value == "tanh"
    assert again.number_input(key="cnn.data.n_samples").value == 500
    assert again.selectbox(key="cnn.spec.preset").value == "lenet5"
    assert again.selectbox(key="cnn.spec.0.norm").value == "group"
    assert again.number_input(key="cnn.probe").value == 5
    assert {k: again.query_params[k] for k in again.query_params} == q  # the restored page keeps the same link


def test_block_count_heading_follows_the_buttons():
    at = app()
    at.button(key="cnn.spec.add").click().run()
    assert any(m.value.startswith("**3 conv blocks**") for m in at.markdown)
    at.button(key="cnn.spec.del").click().run()
    at.button(key="cnn.spec.del").click().run()
    assert any(m.value == "**1 conv block**" for m in at.markdown)


def wait_final(at: AppTest, timeout: float = 90.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if at.session_state["job_cnn"] if "job_cnn" in at.session_state else None:
            titles = charts(at)
            if any(t.startswith("Confusion") for t in titles) and any(b.label == "Pause" and b.disabled
                                                                      for b in at.button):
                return at
        time.sleep(0.5)
        at.run()
    raise AssertionError("the job did not finish in time")


@pytest.fixture(scope="module")
def trained() -> AppTest:
    at = app()
    at.number_input(key="cnn.train.epochs").set_value(3).run()
    at.button(key="cnn.train").click().run()
    assert not at.exception and not at.error
    return wait_final(at)


def test_train_shows_filters_confusion_and_mistakes(trained):
    figs = charts(trained)
    filt = next(v for k, v in figs.items() if k.startswith("First-layer filters"))
    assert filt["data"][0]["type"] == "image" and filt["data"][0]["source"].startswith("data:image/png")
    conf = next(v for k, v in figs.items() if k.startswith("Confusion"))
    assert conf["data"][0]["x"][0] == "0"
    assert any(k.startswith("Feature maps, block 1") for k in figs)
    assert any(k.startswith("Feature maps, block 2") for k in figs)
    assert any(k.startswith("Most confident mistakes") for k in figs)
    assert any(k.startswith("Loss") for k in figs)
    assert any(k.startswith("Class probabilities") for k in figs)  # the predict section is there


def png_bytes(size: tuple[int, int] = (40, 30), fmt: str = "PNG") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full(size[::-1], 200, np.uint8)).save(buf, format=fmt)
    return buf.getvalue()


def test_upload_predicts_and_rejects_non_images(trained):
    at = trained
    at.segmented_control(key="cnn.pred_src").set_value("upload").run()
    at.file_uploader(key="cnn.upload").upload("notes.png", b"this is not an image", "image/png").run()
    assert any("not a PNG or JPEG image" in e.value for e in at.error)
    at.file_uploader(key="cnn.upload").upload("anim.png", png_bytes(fmt="GIF"), "image/png").run()
    assert any("this is a GIF image; upload a PNG or JPEG" in e.value for e in at.error)
    at.file_uploader(key="cnn.upload").upload("huge.png", png_bytes((3000, 3000)), "image/png").run()
    assert any("too many pixels" in e.value for e in at.error)
    at.file_uploader(key="cnn.upload").upload("big.png", b"\x89PNG" + bytes(3 * 1024 * 1024), "image/png").run()
    assert any("the limit is 2 MB" in e.value for e in at.error)
    at.file_uploader(key="cnn.upload").upload("digit.jpg", png_bytes(fmt="JPEG"), "image/jpeg").run()
    assert not at.exception and not any("cannot be used" in e.value for e in at.error)
    at.file_uploader(key="cnn.upload").upload("digit.png", png_bytes(), "image/png").run()
    assert not at.exception
    assert not any("cannot be used" in e.value for e in at.error)
    assert any(k.startswith("Class probabilities") for k in charts(at))


def test_a_submitted_run_announces_its_epochs_before_its_first_snapshot():
    """The status line read "Epoch 0 / 0" for ~2 s (the worker loading torch and the data): the job carries its
    plan from submit, which the run bar and the live route read until the first snapshot says more."""
    from ui.run_controls import run_state
    from ui.services import job_manager

    at = app()
    at.number_input(key="cnn.train.epochs").set_value(4).run()
    at.button(key="cnn.train").click().run()
    owner, view = job_manager().find(at.session_state["job_cnn"])
    try:
        assert view.plan == {"epochs": 4, "until_paused": False, "limit": None,
                             "preparing": "Preparing: loading PyTorch and the digits images…"}
        view.snapshot = None  # as it is while queued or loading
        assert run_state(view).text.startswith("Epoch 0 / 4 ·"), run_state(view).text
        if view.status == "running":  # the worker loads: it says so (ui.status_line.stage)
            assert "Preparing: loading PyTorch" in run_state(view).text, run_state(view).text
    finally:
        job_manager().command(owner, view.job_id, "stop")


def test_the_knob_list_has_no_noise_for_stored_images_and_speaks_of_images():
    """Noise (%) trained N identical runs on a stored image set; the number of examples read "points"."""
    at = app()
    knob = at.selectbox(key="cnn.knob")
    assert "Noise (%)" not in knob.options and "Number of examples" in knob.options, knob.options  # labels
    assert "Momentum" not in knob.options  # the page's default optimizer is adam
    assert at.number_input(key="cnn.train.momentum").disabled
    knob.set_value("n_samples").run()
    assert not at.exception
    assert any(c.value.startswith("Number of images to use") for c in at.caption)
    assert at.number_input(key="cnn.data.n_samples").help.startswith("Number of images to use")
    at = app(data__dataset="shapes")
    assert "Noise (%)" in at.selectbox(key="cnn.knob").options  # generated images do get pixel noise


def test_a_dense_only_net_without_hidden_layers_greys_what_has_nothing_to_act_on():
    at = app(model__cnn="null")
    assert not at.exception
    assert at.selectbox(key="cnn.spec.preset").value == "mlp"
    assert not at.selectbox(key="cnn.model.activation").disabled
    at.button(key="cnn.del_layer").click().run()
    assert at.query_params["model.hidden"] == ""
    for w in (at.selectbox(key="cnn.model.activation"), at.number_input(key="cnn.model.dropout"),
              at.selectbox(key="cnn.model.norm")):
        assert w.disabled and "No hidden layer" in w.help, w.label
    assert any(c.value.startswith(":material/info: No hidden layer") for c in at.caption)
    assert not {"Activation", "Dropout", "Normalization"} & set(at.selectbox(key="cnn.knob").options)
    at.button(key="cnn.add_layer").click().run()
    assert not at.selectbox(key="cnn.model.activation").disabled


def test_the_page_that_started_a_variant_group_shows_its_progress_and_stop():
    """Walkthrough: after Train the variants the CNN page said "3 variants ... are training" but its only bar was
    the single run's (Train, greyed Pause / Stop) and nothing moved for 185 s while the group waited in the queue.
    The page now shows the group's line (epoch / total, queued with its place, preparing) and its Stop."""
    from ui.services import job_manager

    at = app(data__dataset="shapes", train__epochs="8")
    at.button(key="cnn.knob_train").click().run()
    assert not at.exception
    group = at.session_state["job_group"]
    try:
        bar = [m.value for m in at.markdown if m.value.startswith("**Variant group**")]
        assert bar and "(3 runs side by side)" in bar[0] and "Epoch 0 / 8" in bar[0], [m.value for m in at.markdown]
        assert not at.button(key="cnn.group.stop").disabled and not at.button(key="cnn.group.pause").disabled
        at.button(key="cnn.group.stop").click().run()
        owner, view = job_manager().find(group)
        deadline = time.time() + 120
        while view.status in ("queued", "running", "paused") and time.time() < deadline:
            time.sleep(0.5)
            view = job_manager().view(owner, group)
        assert view.status == "stopped", view.status
    finally:
        job_manager().command(job_manager().find(group)[0], group, "stop")
    queued = type(view)(job_id=group, status="queued", queue_position=2, snapshot=None, snapshot_seq=0, result=None,
                        error=None, submitted_at=0.0, started_at=None, finished_at=None, expected_wait_s=40.0)
    from ui import compare_store as store
    from ui.compare_panel import group_text

    pins = [store.Pin("a", "a", "CNN", {"train": {"epochs": 8}}, job_id=group)]  # queued: no snapshot, no epochs
    assert group_text(queued, pins) == ("Epoch 0 / 8 · waiting for a free worker, about 40 s · queued (position 2 "
                                        "in the queue)")


@pytest.mark.parametrize("page", ["cnn.py", "playground.py"])
def test_greyed_run_buttons_say_why_before_any_run(page: str) -> None:
    """Before any run, Pause, Stop and Pin to compare are greyed; their tooltips said only what they do, so a
    student hovering them could not tell why they do nothing. The run bar says it for every page (ui.run_controls)."""
    at = AppTest.from_file(os.path.join(os.path.dirname(PAGE), page), default_timeout=90).run()
    prefix = "cnn" if page == "cnn.py" else "pg"
    for cmd in ("pause", "stop", "pin"):
        button = at.button(key=f"{prefix}.{cmd}")
        assert button.disabled and "no run yet" in button.help, (cmd, button.help)
    for cmd in ("train", "reset"):  # working buttons are not called greyed
        assert "Greyed" not in at.button(key=f"{prefix}.{cmd}").help
