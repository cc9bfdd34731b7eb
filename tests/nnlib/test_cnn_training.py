"""A small CNN really learns the 8x8 digits through nnlib's Trainer, fast, and beats nothing-learned baselines;
augmentation and the MLP baseline train too; the image snapshot has what the CNN page draws."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from nnlib.config import RunConfig
from nnlib.inspect.snapshot import image_snapshot
from nnlib.models.build import build_model
from nnlib.models.presets import preset_spec
from nnlib.train.trainer import Trainer

BUDGET_S = 20.0


def digits_cfg(preset: str = "tiny", augment: tuple[str, ...] = (), epochs: int = 20, **model: object) -> RunConfig:
    return RunConfig().replace(
        data={"dataset": "digits", "train_frac": 0.7, "val_frac": 0.15, "augment": augment},
        model={"cnn": preset_spec(preset, (1, 8, 8)), "activation": "relu", "initializer": "he_uniform", **model},
        train={"optimizer": "adam", "lr": 0.01, "epochs": epochs, "batch_size": 64, "device": "cpu"})


@pytest.fixture(scope="module")
def tiny() -> tuple[Trainer, float]:
    """Trained with one thread and timed in CPU seconds of this process: a budget that other jobs on a shared
    box (they stretch wall-clock time) do not break."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        Trainer(digits_cfg(epochs=1)).run()  # one-time torch start-up costs (kernels, allocator) are not training
        trainer = Trainer(digits_cfg())
        start = time.process_time()
        trainer.run()
        return trainer, time.process_time() - start
    finally:
        torch.set_num_threads(threads)


def test_tiny_cnn_learns_digits_fast(tiny):
    trainer, seconds = tiny
    last = trainer.history.records[-1]
    assert trainer.status == "finished" and trainer.epoch == 20
    assert last["test_accuracy"] >= 0.90, last
    assert seconds < BUDGET_S, f"{seconds:.1f} CPU s"
    assert trainer.history.records[0]["train_loss"] > last["train_loss"]


def test_beats_nothing_learned_baselines(tiny):
    trainer, _ = tiny
    y = trainer.data.y_test
    majority = float((y == np.bincount(trainer.data.y_train).argmax()).mean())
    untrained = Trainer(digits_cfg()).evaluate("test")["test_accuracy"]
    acc = trainer.history.records[-1]["test_accuracy"]
    assert majority < 0.2 and untrained < 0.4
    assert acc > majority + 0.6 and acc > untrained + 0.5


def test_augmentation_keeps_it_working():
    cfg = digits_cfg(augment=("rotate", "noise"), epochs=20)
    trainer = Trainer(cfg)
    trainer.run()
    assert trainer.history.records[-1]["test_accuracy"] >= 0.90


def test_mlp_baseline_trains():
    cfg = digits_cfg("mlp", hidden=(64,))
    assert cfg.model.cnn is None
    trainer = Trainer(cfg)
    assert not hasattr(trainer.model, "feature_maps")
    trainer.run()
    assert trainer.history.records[-1]["test_accuracy"] >= 0.90
    snap = image_snapshot(trainer, True)
    assert snap["filters_shape"] == [32, 1, 8, 8]  # first-layer weights seen as 8x8 images
    assert "feature_maps" not in snap and snap["confusion"].shape == (10, 10)


def test_image_snapshot_shapes(tiny):
    trainer, _ = tiny
    snap = image_snapshot(trainer, True, probe=5)
    assert snap["filters_shape"] == [8, 1, 3, 3]
    assert snap["filters"].dtype == np.uint8 and snap["filters"].shape == (8 * 4 - 1, 3)
    names = [n for n, _ in snap["feature_maps"]]
    assert names == ["block 1 (conv)", "block 2 (conv)"]
    assert snap["feature_maps"][0][1].shape == (8 * 9 - 1, 8)  # 8 channels of 8x8
    assert snap["feature_maps"][1][1].shape == (16 * 5 - 1, 4)  # 16 channels of 4x4 (after one pool)
    cm = snap["confusion"]
    assert cm.shape == (10, 10) and cm.sum() == len(trainer.data.y_test)
    assert np.trace(cm) / cm.sum() == pytest.approx(snap["per_class"]["accuracy"])
    assert all(len(snap["per_class"][k]) == 10 for k in ("precision", "recall", "f1", "support"))
    for m in snap["mistakes"]:
        assert m["true"] != m["pred"] and m["top3"][0][0] == m["pred"] and len(m["top3"]) == 3
        probs = [p for _, p in m["top3"]]
        assert probs == sorted(probs, reverse=True)
    assert snap["probe"] == 5 and snap["device"] == "cpu"


def test_weights_round_trip_through_numpy(tiny):
    """What the page's Predict does: state_dict as numpy -> rebuilt model -> the same outputs."""
    trainer, _ = tiny
    weights = {k: v.detach().cpu().numpy() for k, v in trainer.model.state_dict().items()}
    model = build_model(trainer.cfg, trainer.data.input_shape, trainer.data.n_classes)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    model.eval()
    x = torch.from_numpy(trainer.data.x_test[:20])
    with torch.no_grad():
        assert torch.allclose(model(x), trainer.predict(x), atol=1e-5)
