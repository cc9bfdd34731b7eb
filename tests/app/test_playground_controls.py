"""AppTest of how the Playground's controls read: numbers written as people write them, and the controls a
network without hidden layers ignores said to be ignored (disabled, with the reason) instead of silently inert."""

import os

from streamlit.testing.v1 import AppTest

from tests.app.test_playground import PAGE, app


def test_number_widgets_show_as_many_decimals_as_their_step_and_plain_bounds():
    at = app(train__optimizer="adam")
    assert not at.exception
    assert at.slider(key="pg.data.noise").proto.format == "%.0f"  # percent in steps of 5: 30, not 30.00
    assert at.slider(key="pg.data.train_frac").proto.format == "%.2f"
    assert at.number_input(key="pg.model.dropout").proto.format == "%.2f"
    assert at.number_input(key="pg.train.l2").proto.format == "%.4f"
    assert at.number_input(key="pg.train.beta2").proto.format == "%.4f"  # 0.9990, not 1.00
    assert "Range: 0 to 2,147,483,647." in at.number_input(key="pg.train.seed").help
    assert "Range: 1 to 10,000." in at.number_input(key="pg.train.epochs").help
    for w in list(at.number_input) + list(at.slider):
        assert "e+" not in w.help and "e-0" not in w.help, (w.label, w.help)


def test_a_link_beyond_a_bound_is_told_in_plain_numbers():
    at = app(data__seed="3000000000")
    text = " ".join(w.value for w in at.warning)
    assert "data.seed=3000000000 is out of range (0 to 2,147,483,647), so 2,147,483,647 is used" in text, text


def idle_widgets(at):
    return {"activation": at.selectbox(key="pg.model.activation"), "dropout": at.number_input(key="pg.model.dropout"),
            "norm": at.selectbox(key="pg.model.norm")}


def test_no_hidden_layer_greys_out_what_has_nothing_to_act_on_and_says_why():
    at = app(model__hidden="", model__activation="relu", model__dropout="0.2")
    assert not at.exception and not at.error
    for name, w in idle_widgets(at).items():
        assert w.disabled, name
        assert "No hidden layer" in w.help, name
    assert not at.selectbox(key="pg.model.initializer").disabled  # it still draws the output layer's weights
    notes = " ".join(c.value for c in at.caption)
    assert "No hidden layer: the activation has nothing to act on" in notes
    # ignored, not cleared: the link keeps them, and a layer brings them back into play
    assert at.query_params["model.activation"] == "relu" and at.query_params["model.dropout"] == "0.2"
    at.button(key="pg.add_layer").click().run()
    assert at.query_params["model.hidden"] == "4"
    for name, w in idle_widgets(at).items():
        assert not w.disabled and "No hidden layer" not in w.help, name
    assert at.selectbox(key="pg.model.activation").value == "relu"
    assert "No hidden layer" not in " ".join(c.value for c in at.caption)


def test_removing_the_last_hidden_layer_greys_them_out_at_once():
    at = app()
    assert not any(w.disabled for w in idle_widgets(at).values())
    at.button(key="pg.del_layer").click().run()
    at.button(key="pg.del_layer").click().run()
    assert at.query_params["model.hidden"] == ""
    assert all(w.disabled for w in idle_widgets(at).values())


def test_the_labs_number_widgets_follow_the_same_rule():
    at = AppTest.from_file(os.path.join(os.path.dirname(PAGE), "labs", "fitting.py"), default_timeout=120).run()
    assert not at.exception
    noise = at.slider(key="lab.fitting.noise")
    assert noise.proto.format == "%.0f" and "Range: 0 to 50." in noise.help  # was 50.0


def test_momentum_is_greyed_with_plain_sgd_and_comes_back_with_momentum():
    """Change one knob offered Momentum with sgd (the default): three identical runs. The field is shown greyed
    with the reason, the knob is not offered, and both come back with an optimizer that reads momentum."""
    at = app(train__momentum="0.5")
    assert not at.exception and not at.error
    momentum = at.number_input(key="pg.train.momentum")
    assert momentum.disabled and "Optimizer sgd: momentum is used only by momentum and nesterov." in momentum.help
    assert at.number_input(key="pg.train.beta1").disabled and at.number_input(key="pg.train.weight_decay").disabled
    assert "Momentum" not in at.selectbox(key="pg.knob").options
    at.selectbox(key="pg.train.optimizer").set_value("momentum").run()
    momentum = at.number_input(key="pg.train.momentum")
    assert not momentum.disabled and "Has no effect" not in momentum.help and momentum.value == 0.5  # kept
    assert at.number_input(key="pg.train.beta1").disabled
    assert "Momentum" in at.selectbox(key="pg.knob").options


def test_epochs_are_greyed_while_the_run_trains_until_paused():
    """A student set 50 epochs and watched the run go past 50: with Until I pause on, Epochs says it is not used."""
    at = app(train__epochs="50")
    epochs = at.number_input(key="pg.train.epochs")
    assert epochs.disabled and "Until I pause is on" in epochs.help and epochs.value == 50
    assert any("Until I pause is on: the run trains until" in c.value for c in at.caption)
    assert "Epochs" not in at.selectbox(key="pg.knob").options  # the labels shown
    at.toggle(key="pg.train.until_paused").set_value(False).run()
    assert not at.number_input(key="pg.train.epochs").disabled
    assert not any("Until I pause is on" in c.value for c in at.caption)
    assert "Epochs" in at.selectbox(key="pg.knob").options
    at.selectbox(key="pg.train.schedule").set_value("cosine").run()  # cosine always stops after Epochs
    toggle = at.toggle(key="pg.train.until_paused")
    assert toggle.disabled and "LR schedule cosine" in toggle.help
