"""The concept labs' training experiments give the lecture's results on their own setups: ReLU dies at a high rate
while leaky ReLU does not, all-zeros never breaks the symmetry, the optimizers race on real digits; and a group run
asked to watch dead units records them for every variant."""

from __future__ import annotations

import torch

from nnlib.compare.group import group_payload, run_group
from nnlib.jobs.control import JobControl
from nnlib.labs.train_groups import dead_relu_group, init_group, optimizer_group, symmetric_layers
from nnlib.models.build import core_mlp
from nnlib.train.callbacks import DeadUnits, dead_fraction
from nnlib.train.trainer import Trainer


def trained(cfg, *callbacks):
    t = Trainer(cfg, callbacks=callbacks)
    t.run()
    return t


def test_dead_fraction_counts_units_that_pass_no_gradient():
    cfg = init_group(["xavier_uniform", "he_normal"], activation="relu", epochs=1)[0][0].replace(
        model={"hidden": (8, 8, 8, 8)})  # 2-8x4-1 ReLU
    t = Trainer(cfg)
    mlp = core_mlp(t.model)
    with torch.no_grad():
        for layer in mlp.hidden:
            layer.linear.bias.zero_()
        mlp.hidden[0].linear.bias[:4] = -100.0  # negative for every input: 4 dead units of 32
        mlp.hidden[2].linear.weight.zero_()  # z = 0 everywhere: ReLU's derivative at 0 is 0 -> 8 more
        mlp.hidden[3].linear.bias.fill_(1.0)  # its inputs are all 0 now, but z = 1 > 0: alive
    assert dead_fraction(t) == (4 + 8) / 32
    leaky = Trainer(cfg.replace(model={"activation": "leaky_relu"}))
    with torch.no_grad():
        core_mlp(leaky.model).hidden[0].linear.bias[:4] = -100.0
    assert dead_fraction(leaky) == 0.0  # a slope of 0.01 still passes gradient


def test_relu_dies_at_a_high_rate_and_leaky_relu_does_not():
    """The lab's default runs show the lesson in the loss curves, not only in the dead fraction: the healthy ReLU and
    the leaky ReLU learn, the ReLU at the high rate stalls at ln 2 once its units die. (On the spirals all three
    losses stayed near ln 2 for 60 epochs; a walkthrough saw it.)"""
    configs, labels = dead_relu_group()
    assert labels == ["ReLU, lr 0.1", "ReLU, lr 1", "leaky ReLU, lr 1"]
    low, high, leaky = (trained(c, DeadUnits()).history.columns for c in configs)
    assert len(high["train_loss"]) == 60
    assert low["train_loss"][-1] < 0.01 and leaky["train_loss"][-1] < 0.01  # measured: 0.0004 and 0.0001
    assert min(high["train_loss"][-40:]) > 0.65  # measured: 0.695..0.71 from epoch 11 on: stuck at ln 2
    assert min(high["train_loss"][:15]) < 0.2  # it was learning before the units died (0.07 at epoch 7)
    assert high["dead_fraction"][-1] > 0.4 and high["dead_fraction"][-1] > 4 * low["dead_fraction"][-1]
    assert max(leaky["dead_fraction"]) == 0.0  # measured: 0.453 vs 0.078 vs 0


def test_zeros_never_break_symmetry_while_xavier_learns():
    configs, labels = init_group(["zeros", "xavier_normal"], activation="tanh", epochs=40)
    assert labels == ["Initializer = zeros", "Initializer = xavier_normal"]
    zeros, xavier = (trained(c) for c in configs)
    z_loss = zeros.history.columns["train_loss"]
    assert max(z_loss) - min(z_loss) < 0.01 and abs(z_loss[-1] - 0.693) < 0.01  # stuck at ln 2
    assert all(symmetric_layers([lin.weight.detach() for lin in core_mlp(zeros.model).linears()[:-1]]))
    assert xavier.history.columns["train_loss"][-1] < 0.1
    assert not any(symmetric_layers([lin.weight.detach() for lin in core_mlp(xavier.model).linears()[:-1]]))


def test_large_weights_saturate_tanh_and_train_slower_than_xavier():
    """The lecture's order through depth, trained: N(0, 1) saturates tanh and crawls, Xavier trains at once (on the
    earlier 4-layer net N(0, 1) was as fast as Xavier, contradicting the statistics shown above it)."""
    configs, _ = init_group(["large_normal", "xavier_uniform"], activation="tanh", epochs=10)
    large, xavier = (trained(c).history.columns["train_loss"][-1] for c in configs)
    assert large > 0.3 and xavier < 0.1 and large > 5 * xavier


def test_adam_beats_sgd_on_real_digits_at_one_shared_rate():
    configs, labels = optimizer_group(["sgd", "adam"], lr=0.01, epochs=8)
    assert labels == ["Optimizer = sgd", "Optimizer = adam"] and configs[0].is_image
    sgd, adam = (trained(c).history.columns for c in configs)
    assert adam["val_accuracy"][-1] > 0.9 and adam["train_loss"][-1] < sgd["train_loss"][-1] / 3


def test_a_group_watching_dead_units_records_them_for_every_run():
    configs, labels = dead_relu_group(epochs=4)
    ctl = JobControl(min_interval=0.0)
    run_group(group_payload(configs, labels, watch=["dead_units"]), ctl)
    runs = ctl.latest["runs"]
    assert [len(r["history"]["dead_fraction"]) for r in runs] == [4, 4, 4]
    alone = trained(configs[1], DeadUnits()).history.columns["dead_fraction"]
    assert runs[1]["history"]["dead_fraction"] == alone


def test_batch_norm_trains_the_deep_sigmoid_net_at_a_rate_that_stalls_it_without():
    from nnlib.labs.train_groups import norm_group

    configs, labels = norm_group(lr=2.0, epochs=30)
    assert labels == ["no norm, lr 2", "batch norm, lr 2"]
    plain, batch = (trained(c).history.columns for c in configs)
    assert plain["val_accuracy"][-1] < 0.7 and plain["train_loss"][-1] > 0.6  # near ln 2: stalled
    assert batch["val_accuracy"][-1] > 0.9
