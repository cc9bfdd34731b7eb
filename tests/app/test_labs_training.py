"""AppTest of the labs that train: the page renders its controls and empty figures, Train submits ONE group job to
the shared JobManager (never training in the page), and the finished figures hold the runs' own numbers."""

from __future__ import annotations

import base64
import json
import os
import time

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def lab(name: str, **query: str) -> AppTest:
    at = AppTest.from_file(os.path.join(ROOT, "pages", "labs", f"{name}.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def arr(v: object) -> np.ndarray:
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
    return np.array(v, dtype=float)


def train_until_done(at: AppTest, slot: str, timeout: float = 180) -> None:
    at.button(key=f"{slot}.train").click().run()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert at.session_state[f"job_{slot}"]  # a job of the shared manager, not a loop in the page
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(1)
        at.run()
        if any("finished" in p.proto.text for p in at.get("progress")):
            return
    raise AssertionError("the group did not finish")


def test_learning_rate_lab_trains_the_three_rates_as_one_group():
    at = lab("learning_rate", **{"learning_rate.epochs": "40"})
    [fig] = charts(at)
    assert [t["name"] for t in fig["data"]] == ["lr = 0.001", "lr = 0.3", "lr = 10"]
    assert all(len(t["x"]) == 0 for t in fig["data"])
    train_until_done(at, "lab_learning_rate")
    [fig] = charts(at)
    assert [len(arr(t["y"])) for t in fig["data"]] == [40, 40, 40]
    assert [t["name"] for t in fig["data"]] == ["lr = 0.001 · slow", "lr = 0.3 · converges", "lr = 10 · diverges"]
    text = " ".join(m.value for m in at.markdown)
    assert "**lr = 0.001**: slow" in text and "**lr = 0.3**: converges" in text
    assert "**lr = 10**: diverges" in text


def test_learning_rate_lab_schedules_draw_their_planned_rates():
    at = lab("learning_rate", **{"learning_rate.experiment": "schedules", "learning_rate.schedules": "step,cosine",
                                 "learning_rate.epochs": "60"})
    lr_fig = next(f for f in charts(at) if f["layout"]["title"]["text"].startswith("Learning rate"))
    step, cosine = (arr(t["y"]) for t in lr_fig["data"])
    assert step[0] == np.float32(3.0) and step[15] == np.float32(3.0 * 0.3) and len(step) == 60  # every T/4 by 0.3
    assert step[14] == np.float32(3.0)
    assert cosine[-1] < 0.001 * cosine[0]
    again = lab("learning_rate", **{"learning_rate.experiment": "schedules", "learning_rate.schedules": "step"})
    assert any("at least two schedules" in w.value for w in again.warning)


def test_fitting_lab_capacity_sweep_finishes_with_the_u():
    at = lab("fitting", **{"fitting.widths": "1,4,128", "fitting.epochs": "200"})
    sweep = charts(at)[0]
    assert list(arr(sweep["data"][0]["x"])) == [1, 4, 128]
    train_until_done(at, "lab_fitting")
    sweep, loss = charts(at)
    train, val = arr(sweep["data"][0]["y"]), arr(sweep["data"][1]["y"])
    assert train[0] > train[1] > train[2]
    assert val[1] < val[0] and val[1] < val[2]  # the bottom of the U, marked by the star
    assert sweep["data"][2]["x"] == [4.0]
    assert len(loss["data"]) == 6 and len(arr(loss["data"][1]["y"])) == 200


def test_fitting_lab_remedies_list_the_baseline_first():
    at = lab("fitting", **{"fitting.experiment": "remedies", "fitting.remedies": "l2,dropout"})
    [loss] = charts(at)
    names = [t["name"] for t in loss["data"]]
    assert names[::4] == ["baseline · train"] * 2 and names[2::4] == ["L2 0.01 · train", "dropout 0.6 · train"]
    assert loss["layout"]["yaxis"]["type"] == "log"  # the baseline's spike no longer squeezes the remedies
    bad = lab("fitting", **{"fitting.experiment": "remedies", "fitting.remedies": "more_data",
                            "fitting.n_samples": "400"})
    assert any("above 800" in w.value for w in bad.warning)


def figure_titled(at: AppTest, title: str) -> dict:
    return next(f for f in charts(at) if (f["layout"].get("title") or {}).get("text") == title)


def test_activations_lab_shows_relu_dying_at_a_high_rate():
    at = lab("activations")
    assert [t["name"] for t in figure_titled(at, "Dead hidden units (fraction)")["data"]] == [
        "ReLU, lr 0.1", "ReLU, lr 1", "leaky ReLU, lr 1"]
    train_until_done(at, "lab_activations")
    low, high, leaky = (arr(t["y"]) for t in figure_titled(at, "Dead hidden units (fraction)")["data"])
    assert len(high) == 60 and high[-1] > 0.4 and high[-1] > 4 * low[-1] and leaky.max() == 0
    low, high, leaky = (arr(t["y"]) for t in figure_titled(at, "Training loss")["data"])
    assert low[-1] < 0.01 and leaky[-1] < 0.01 and high[-20:].min() > 0.65  # the dead net's loss stalls


def test_initialization_lab_trains_each_initializer_and_zeros_stays_flat():
    at = lab("initialization", **{"init.initializers": "zeros,xavier_normal"})
    train_until_done(at, "lab_initialization")
    zeros, xavier = (arr(t["y"]) for t in figure_titled(at, "Training loss")["data"])
    assert np.ptp(zeros) < 0.01 and xavier[-1] < 0.1


def test_optimizers_lab_races_on_digits():
    at = lab("optimizers", **{"optimizers.optimizers": "sgd,adam"})
    train_until_done(at, "lab_optimizers")
    sgd, adam = (arr(t["y"]) for t in figure_titled(at, "Validation accuracy")["data"])
    assert len(adam) == 15 and adam[-1] > 0.9 and adam[-1] > sgd[-1]


def test_pooling_norm_lab_trains_with_and_without_batch_norm():
    at = lab("pooling_norm", **{"norm.high_lr": "2"})
    train_until_done(at, "lab_pooling_norm")
    plain, batch = (arr(t["y"]) for t in figure_titled(at, "Validation accuracy")["data"])
    assert len(batch) == 30 and batch[-1] > 0.9 > plain[-1]


def test_switching_the_experiment_does_not_show_the_last_ones_results():
    """A walkthrough student picked 'data', trained, then picked 'capacity': the capacity question sat above the
    data-size curves. The other experiment's charts are empty until it is trained."""
    at = lab("fitting", **{"fitting.experiment": "data", "fitting.epochs": "30"})
    train_until_done(at, "lab_fitting")
    assert any(len(arr(t["y"])) for f in charts(at) for t in f["data"] if "y" in t)
    at.session_state["lab.fitting.experiment"] = "capacity"  # the student's click on the Experiment control
    at.run()
    assert not at.exception
    sweep, loss = charts(at)
    assert sweep["layout"]["title"]["text"].endswith("vs capacity")
    assert np.isnan(arr(sweep["data"][0]["y"])).all()  # no results drawn on the capacity axes
    assert [t["name"] for t in loss["data"]][0].startswith("Width (every hidden layer) = ")
    assert all(len(t["x"]) == 0 for t in loss["data"])


def test_the_schedules_experiment_shows_no_verdicts_of_the_rates_one():
    """A walkthrough student trained 'rates', then picked 'schedules': its chart was empty but the rates' verdicts
    ('lr = 10: diverges ...') stood under it."""
    at = lab("learning_rate", **{"learning_rate.epochs": "20"})
    train_until_done(at, "lab_learning_rate")
    assert "**lr = 10**: " in " ".join(m.value for m in at.markdown)
    at.session_state["lab.learning_rate.experiment"] = "schedules"  # the student's click on the Experiment control
    at.run()
    assert not at.exception
    assert "**lr = " not in " ".join(m.value for m in at.markdown)


def test_a_reloaded_lab_page_shows_the_last_experiment_again():
    """A reload is a new session with empty state; the same browser (person) finds its last experiment on the lab
    again, as it finds its Compare pins, while another person's page still waits for Train."""

    def session(person: str) -> AppTest:
        at = AppTest.from_file(os.path.join(ROOT, "pages", "labs", "activations.py"), default_timeout=120)
        at.session_state["nn_person"] = person  # what ui.session.person_id derives from the browser's cookie
        at.run()
        assert not at.exception, at.exception
        return at

    first = session("browser:reloading-student")
    train_until_done(first, "lab_activations")
    job_id = first.session_state["job_lab_activations"]
    reloaded = session("browser:reloading-student")
    assert reloaded.session_state["nn_session"] != first.session_state["nn_session"]
    assert reloaded.session_state["job_lab_activations"] == job_id
    assert any("finished" in p.proto.text for p in reloaded.get("progress"))
    assert [len(arr(t["y"])) for t in figure_titled(reloaded, "Training loss")["data"]] == [60, 60, 60]
    other = session("browser:someone-else")
    assert "job_lab_activations" not in other.session_state
    assert all(len(arr(t["y"])) == 0 for t in figure_titled(other, "Training loss")["data"])


def test_the_remedies_text_says_what_this_runs_curves_show():
    """The remedies text claimed every dashed validation curve stays below the baseline's, while dropout's sat
    above it for the first epochs. Now a line per remedy, written from the finished run, says where it was below."""
    at = lab("fitting", **{"fitting.experiment": "remedies", "fitting.remedies": "dropout", "fitting.epochs": "100"})
    assert not any("stay below" in m.value for m in at.markdown)  # no claim before there is a curve
    train_until_done(at, "lab_fitting")
    [loss] = charts(at)
    base, dropout = arr(loss["data"][1]["y"]), arr(loss["data"][3]["y"])  # the validation curves (dashed)
    [verdict] = [m.value for m in at.markdown if m.value.startswith("**dropout 0.6**:")]
    above = int((dropout >= base).sum())
    if above:
        assert "every epoch from" in verdict or "does not help" in verdict, verdict
        assert f"{above} of" in verdict or f"first {above} epochs" in verdict, verdict
    else:
        assert "stays below the baseline's at every epoch" in verdict


def test_a_finished_lab_says_its_computing_time_and_the_time_since_train():
    """'5.5 s of training' counted the runs' computing time while the student had waited longer (walkthrough)."""
    at = lab("fitting", **{"fitting.experiment": "data", "fitting.sizes": "25,50", "fitting.epochs": "20"})
    train_until_done(at, "lab_fitting")
    [status] = [p.proto.text for p in at.get("progress") if "finished" in p.proto.text]
    assert "of training" not in status and " from pressing Train to the end, of which " in status, status
    assert " computing the 2 runs' epochs" in status, status


def test_before_train_a_lab_chart_says_what_to_press_instead_of_showing_empty_axes():
    """Empty charts before Train showed axes like -1..6 or 0..1 with no data (walkthrough)."""
    at = lab("fitting", **{"fitting.widths": "1,4,128"})
    for fig in charts(at):
        axes = [v for k, v in fig["layout"].items() if k.startswith(("xaxis", "yaxis"))]
        assert axes and all(a.get("visible") is False for a in axes), fig["layout"]["title"]
        assert any("Press <b>Train</b>" in a["text"] and "Width (every hidden layer) = 128" in a["text"]
                   for a in fig["layout"]["annotations"])
    schedules = lab("learning_rate", **{"learning_rate.experiment": "schedules"})
    planned = figure_titled(schedules, "Learning rate per epoch (lr_t)")  # the plan is data before Train: drawn
    assert planned["layout"]["xaxis"].get("visible") is not False


def test_rates_out_of_order_are_trained_not_refused():
    """'Cannot compute this' when the middle rate was below the small one (walkthrough): the order does not matter,
    so the runs are listed from the smallest up; two equal rates get a sentence that says which slider to move."""
    at = lab("learning_rate", **{"learning_rate.small": "1", "learning_rate.good": "0.1"})
    assert not at.warning
    [fig] = charts(at)
    assert [t["name"] for t in fig["data"]] == ["lr = 0.1", "lr = 1", "lr = 10"]
    same = lab("learning_rate", **{"learning_rate.small": "0.3"})
    [warning] = [w.value for w in same.warning]
    assert warning.startswith("Not run yet: two of the rates are both 0.3") and "move one of those sliders" in warning


def test_results_the_controls_no_longer_match_say_so():
    """A student moved a control after Train and the old curves stayed with no word that they were of the old
    values (walkthrough)."""
    at = lab("fitting", **{"fitting.experiment": "data", "fitting.sizes": "25,50", "fitting.epochs": "20"})
    train_until_done(at, "lab_fitting")
    assert not at.info  # the results match the controls
    at.session_state["lab.fitting.sizes"] = ["25", "100"]  # the student's click on another size
    at.run()
    [note] = [i.value for i in at.info]
    assert "These results are for the settings you trained (examples = 25, examples = 50)" in note
    assert "(now examples = 25, examples = 100)" in note and "Press **Train**" in note
    at.session_state["lab.fitting.sizes"] = ["25", "50"]
    at.session_state["lab.fitting.epochs"] = 30  # a setting no label shows
    at.run()
    [note] = [i.value for i in at.info]
    assert "you have changed the controls since. Press **Train**" in note
