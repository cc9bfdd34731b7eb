"""The rule that says which settings a config ignores: it must name exactly the ones that change nothing."""

from __future__ import annotations

import numpy as np

from nnlib.config import CNNSpec, RunConfig
from nnlib.idle_fields import HIDDEN_ONLY, OPTIMIZER_FIELDS, idle_fields
from nnlib.train.trainer import Trainer


def test_no_hidden_layer_leaves_the_hidden_layer_settings_idle_with_a_reason() -> None:
    idle = idle_fields(RunConfig().replace(model={"hidden": ()}))
    assert {f for f in idle.reasons if f.startswith("model.")} == set(HIDDEN_ONLY)
    assert idle.reason("model.activation").startswith("No hidden layer: the activation has nothing to act on")
    assert idle.reason("model.initializer") == ""  # the output layer's weights are still drawn by it
    assert idle.summary().startswith("No hidden layer: the activation") and idle.summary().count("No hidden") == 1


def test_a_hidden_layer_or_a_cnn_leaves_no_model_setting_idle() -> None:
    assert idle_fields(RunConfig()).summary(["model"]) == ""
    assert idle_fields(RunConfig().replace(model={"hidden": (1,)})).summary(["model"]) == ""
    cnn = RunConfig().replace(data={"dataset": "digits"}, model={"hidden": (), "cnn": CNNSpec()})
    assert idle_fields(cnn).summary(["model"]) == ""
    # AdamW reads every optimizer field but momentum, a run that stops after Epochs reads Epochs, and a constant
    # rate (the default schedule) has no step, gamma or patience
    assert set(idle_fields(RunConfig().replace(train={"optimizer": "adamw", "until_paused": False})).reasons) == {
        "train.momentum", "train.lr_step", "train.lr_gamma", "train.lr_patience"}


def test_the_settings_it_calls_idle_do_not_change_the_run() -> None:
    """The promise behind greying them out: with no hidden layer, another activation, dropout or norm trains the
    very same network."""
    def trained(**model: object) -> Trainer:
        cfg = RunConfig().replace(model={"hidden": (), **model}, train={"epochs": 5, "until_paused": False})
        assert cfg.validate() == [], cfg.validate()
        t = Trainer(cfg)
        t.run()
        return t

    base = trained()
    other = trained(activation="relu", dropout=0.5, norm="batch")
    for pa, pb in zip(base.model.parameters(), other.model.parameters(), strict=True):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    assert base.history.records[-1]["val_loss"] == other.history.records[-1]["val_loss"]


def test_change_one_knob_does_not_offer_what_the_run_ignores() -> None:
    """Its default knob is dropout: on a net without hidden layers that trained N identical variants."""
    from nnlib.compare import knobs_for

    names = [k.name for k in knobs_for(RunConfig().replace(model={"hidden": ()}))]
    assert not {"dropout", "activation", "norm"} & set(names)
    assert {"initializer", "width", "depth", "lr"} <= set(names)
    assert {"dropout", "activation", "norm"} <= {k.name for k in knobs_for(RunConfig())}


def test_an_optimizer_leaves_the_hyper_parameters_it_does_not_read_idle() -> None:
    sgd = idle_fields(RunConfig())  # the default optimizer
    assert {"train.momentum", "train.beta1", "train.beta2", "train.weight_decay"} <= set(sgd.reasons)
    assert sgd.reason("train.momentum") == "Optimizer sgd: momentum is used only by momentum and nesterov."
    assert "train.momentum" not in idle_fields(RunConfig().replace(train={"optimizer": "momentum"})).reasons
    adamw = idle_fields(RunConfig().replace(train={"optimizer": "adamw"})).reasons
    assert "train.momentum" in adamw and not {"train.beta1", "train.beta2", "train.weight_decay"} & set(adamw)


def test_the_optimizer_rule_says_exactly_what_the_built_optimizer_reads() -> None:
    """The promise behind greying: for every optimizer, turning a field it is said to ignore leaves the torch
    optimizer's arguments as they were, and turning one it reads changes them."""
    from nnlib.optimizers import OPTIMIZERS, optimizer_settings

    other = {"momentum": 0.5, "beta1": 0.5, "beta2": 0.5, "weight_decay": 0.5}
    assert {f for o in OPTIMIZERS for f in OPTIMIZERS[o].params.get("uses", ())} <= set(OPTIMIZER_FIELDS)
    for name in OPTIMIZERS:
        cfg = RunConfig().replace(train={"optimizer": name})
        idle = idle_fields(cfg)
        for f in OPTIMIZER_FIELDS:
            changed = optimizer_settings(cfg.replace(train={f: other[f]}).train) != optimizer_settings(cfg.train)
            assert changed == (f"train.{f}" not in idle.reasons), (name, f)


def test_the_schedule_rule_says_exactly_what_the_learning_rates_read() -> None:
    """The schedule's step, gamma and patience are drawn only for a schedule that reads them, but a link or an
    imported run still carries the others: for every schedule, a field it is said to ignore leaves every epoch's
    rate as it was (even with a validation loss that stalls, what plateau reacts to), and one it reads changes them."""
    from nnlib.idle_fields import SCHEDULE_FIELDS
    from nnlib.schedules import SCHEDULES, lr_at

    stalled = [1.0] * 60
    other = {"lr_step": 5, "lr_gamma": 0.1, "lr_patience": 2}
    assert {f for s in SCHEDULES for f in SCHEDULES[s].params.get("uses", ())} <= set(SCHEDULE_FIELDS)
    for name in SCHEDULES:
        cfg = RunConfig().replace(train={"schedule": name, "epochs": 60})
        idle = idle_fields(cfg)

        def rates(c: RunConfig) -> list[float]:
            return [lr_at(e, c.train, stalled) for e in range(60)]

        for f in SCHEDULE_FIELDS:
            changed = rates(cfg.replace(train={f: other[f]})) != rates(cfg)
            assert changed == (f"train.{f}" not in idle.reasons), (name, f)
    assert idle_fields(RunConfig().replace(train={"schedule": "plateau"})).reason("train.lr_step") == (
        "LR schedule reduce on plateau: LR step is used only by the step schedule.")


def test_epochs_are_idle_while_the_run_trains_until_paused() -> None:
    """Until I pause (the Playground's default) trains to the server's limit whatever Epochs says; off, or with a
    cosine schedule (which always stops after Epochs: then the toggle is the idle one), Epochs counts."""
    from nnlib.validation import run_plan

    def plans_differ(cfg: RunConfig, field_name: str, a: object, b: object) -> bool:
        return run_plan(cfg.replace(train={field_name: a})) != run_plan(cfg.replace(train={field_name: b}))

    open_ended = RunConfig()
    assert idle_fields(open_ended).reason("train.epochs").startswith("Until I pause is on: the run trains until")
    assert not plans_differ(open_ended, "epochs", 20, 50)
    bounded = RunConfig().replace(train={"until_paused": False})
    assert "train.epochs" not in idle_fields(bounded).reasons and plans_differ(bounded, "epochs", 20, 50)
    cosine = RunConfig().replace(train={"schedule": "cosine"})
    assert set(idle_fields(cosine).reasons) & {"train.epochs", "train.until_paused"} == {"train.until_paused"}
    assert not plans_differ(cosine, "until_paused", True, False) and plans_differ(cosine, "epochs", 20, 50)
    image = RunConfig().replace(data={"dataset": "digits"}, model={"cnn": CNNSpec()})
    assert "train.epochs" not in idle_fields(image).reasons  # an image run always stops after Epochs
    assert plans_differ(image, "epochs", 20, 50)


def test_a_stored_image_set_has_no_noise_and_the_generated_ones_do() -> None:
    """Noise changes the pixels of the generated shapes and the points of the 2D sets, and nothing in the stored
    image sets: exactly the datasets the rule calls it idle for."""
    from nnlib.data.bundle import load_data

    for dataset in ("digits", "shapes", "circle"):
        cfg = RunConfig().replace(data={"dataset": dataset, "n_samples": 120 if dataset != "digits" else 0})
        quiet, noisy = load_data(cfg), load_data(cfg.replace(data={"noise": 30.0}))
        changed = not np.array_equal(quiet.x_train, noisy.x_train)
        assert changed == ("data.noise" not in idle_fields(cfg).reasons), dataset
    assert idle_fields(RunConfig().replace(data={"dataset": "digits"})).reason("data.noise").startswith(
        "Dataset digits 8x8 (offline): its images are used as they are")
    assert {"data.noise", "data.n_samples"} <= set(idle_fields(RunConfig().replace(data={"dataset": "csv"})).reasons)
    assert "data.n_samples" not in idle_fields(RunConfig().replace(data={"dataset": "mnist"})).reasons  # a subset


def test_several_causes_are_named_each_once_and_a_page_part_gets_its_own() -> None:
    idle = idle_fields(RunConfig().replace(model={"hidden": ()}))  # sgd, constant, until I pause, no hidden layer
    assert idle.causes == ("No hidden layer", "Optimizer sgd", "LR schedule constant", "Until I pause is on")
    text = idle.summary()
    assert all(text.count(c + ":") == 1 for c in idle.causes), text
    assert idle.summary(["model"]).startswith("No hidden layer:") and "Optimizer" not in idle.summary(["model"])
    assert idle.summary(["train.epochs"]).startswith("Until I pause is on:")
    assert idle_fields(RunConfig().replace(train={"optimizer": "nesterov", "until_paused": False,
                                                  "schedule": "step"})).summary() == (
        "Optimizer nesterov: beta1 is used only by adam and adamw; beta2 is used only by adam and adamw; weight "
        "decay is used only by adamw. LR schedule step: LR patience is used only by the reduce on plateau schedule.")


def test_the_rule_imports_no_torch() -> None:
    import subprocess
    import sys

    code = ("import sys, nnlib.idle_fields, nnlib.compare.knobs; "
            "sys.exit('torch' in sys.modules or 'streamlit' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_change_one_knob_leaves_out_the_optimizer_data_and_epoch_fields_the_run_ignores() -> None:
    from nnlib.compare import knobs_for

    def names(cfg: RunConfig) -> set[str]:
        return {k.name for k in knobs_for(cfg)}

    assert not {"momentum", "epochs"} & names(RunConfig())  # sgd, until I pause: N identical runs
    assert {"momentum", "epochs"} <= names(RunConfig().replace(train={"optimizer": "momentum",
                                                                       "until_paused": False}))
    assert "momentum" not in names(RunConfig().replace(train={"optimizer": "adam"}))
    digits = RunConfig().replace(data={"dataset": "digits"}, model={"cnn": CNNSpec()})
    assert "noise" not in names(digits) and {"n_samples", "epochs"} <= names(digits)
    assert "noise" in names(digits.replace(data={"dataset": "shapes"}))


def test_a_knob_the_run_ignores_is_refused_with_the_reason() -> None:
    """knobs_for does not offer it; asked for anyway (a knob kept from before the optimizer changed), the group
    is refused with a sentence instead of training N identical runs."""
    import pytest

    from nnlib.compare import VariantError, variants

    with pytest.raises(VariantError) as e:
        variants(RunConfig(), "momentum", ["0", "0.9"])
    assert e.value.problems == ["Momentum changes nothing in this setup (Optimizer sgd: momentum is used only by "
                                "momentum and nesterov)"]
    assert len(variants(RunConfig().replace(train={"optimizer": "momentum"}), "momentum", ["0", "0.9"])) == 2


def test_the_number_of_examples_speaks_of_images_on_an_image_run() -> None:
    from nnlib.compare import KNOBS

    knob = KNOBS["n_samples"]
    assert knob.help_for(RunConfig()).startswith("Number of points to generate or use")
    image = knob.help_for(RunConfig().replace(data={"dataset": "digits"}, model={"cnn": CNNSpec()}))
    assert image.startswith("Number of images to use") and "points" not in image
    assert "pixel noise" in KNOBS["noise"].help_for(RunConfig().replace(data={"dataset": "shapes"})).lower()
