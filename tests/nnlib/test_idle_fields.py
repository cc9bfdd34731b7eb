"""The rule that says which settings a config ignores: it must name exactly the ones that change nothing."""

from __future__ import annotations

import numpy as np

from nnlib.config import CNNSpec, RunConfig
from nnlib.idle_fields import HIDDEN_ONLY, idle_fields
from nnlib.train.trainer import Trainer


def test_no_hidden_layer_leaves_the_hidden_layer_settings_idle_with_a_reason() -> None:
    idle = idle_fields(RunConfig().replace(model={"hidden": ()}))
    assert set(idle.reasons) == set(HIDDEN_ONLY)
    assert idle.reason("model.activation").startswith("No hidden layer: the activation has nothing to act on")
    assert idle.reason("model.initializer") == ""  # the output layer's weights are still drawn by it
    assert idle.summary().startswith("No hidden layer: the activation") and idle.summary().count("No hidden") == 1


def test_a_hidden_layer_or_a_cnn_leaves_nothing_idle() -> None:
    assert idle_fields(RunConfig()).reasons == {}
    assert idle_fields(RunConfig().replace(model={"hidden": (1,)})).summary() == ""
    assert idle_fields(RunConfig().replace(data={"dataset": "digits"}, model={"hidden": (), "cnn": CNNSpec()})
                       ).reasons == {}


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
