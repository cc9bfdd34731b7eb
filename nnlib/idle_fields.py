"""Which settings a config makes ineffective, and why: the one rule the pages use to grey such controls out and
"change one knob" uses to leave such knobs out (N variants of an ignored field train N identical runs).

Left enabled without a word, an ignored setting teaches a false lesson: a student tries three activations on a net
without hidden layers, or three momenta with plain SGD, sees three identical runs and "learns" that the setting
does not matter. Each rule below names its cause ("No hidden layer", "Optimizer sgd", ...) and, per field, what
the field would act on; several causes can hold at once. The values stay in the config (and in links): they are
ignored, not cleared, and apply again as soon as they have something to act on. Torch-free, like nnlib.config (the
optimizer and dataset registries it reads import no torch).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from nnlib.config import HORIZON_SCHEDULES, RunConfig
from nnlib.data.catalog import DATASETS
from nnlib.optimizers import OPTIMIZERS
from nnlib.schedules import SCHEDULES

NO_HIDDEN_LAYER = "No hidden layer"
# (model.layer_activations needs no entry: with no hidden layer it must be empty, validation says so)
HIDDEN_ONLY = {
    "model.activation": "the activation has nothing to act on (the output's own function comes with the loss)",
    "model.dropout": "dropout has no hidden units to drop",
    "model.norm": "normalization has no hidden layer to normalize",
}
# the optimizer hyper-parameters: each is read only by the optimizers whose registry entry lists it in `uses`
OPTIMIZER_FIELDS = ("momentum", "beta1", "beta2", "weight_decay")
# the data settings a dataset may ignore: each is read only by the datasets whose catalog entry lists it in `uses`
DATA_FIELDS = ("n_samples", "noise")
DATA_IDLE = {
    ("image", "noise"): "its images are used as they are (only generated images, like shapes, get pixel noise)",
    ("csv", "noise"): "the table's values are used as they are",
    ("csv", "n_samples"): "every row of the table is used",
}
# the schedule settings: each is read only by the schedules whose registry entry lists it in `uses` (the page draws
# only the chosen schedule's; a link or an imported run may still carry the others, and two runs may differ in them)
SCHEDULE_FIELDS = ("lr_step", "lr_gamma", "lr_patience")
UNTIL_PAUSED = "Until I pause is on"
EPOCHS_OPEN_ENDED = ("the run trains until you press Pause or Stop (or reaches the server's limit); Epochs counts "
                     "once Until I pause is off")
CHOSEN_HORIZON = ("a cosine schedule anneals towards its last epoch, so the run stops after Epochs whatever this "
                  "says")


@dataclass(frozen=True)
class IdleFields:
    """Which fields have no effect: "section.field" -> (cause, what it has nothing to act on), e.g.
    "train.momentum" -> ("Optimizer sgd", "momentum is used only by momentum and nesterov")."""

    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def causes(self) -> tuple[str, ...]:
        """Every cause once, in the order the rule found them."""
        return tuple(dict.fromkeys(cause for cause, _ in self.reasons.values()))

    def reason(self, field_name: str) -> str:
        """The sentence for one field ('' if it has an effect): "No hidden layer: dropout has no hidden units..."."""
        cause, what = self.reasons.get(field_name, ("", ""))
        return f"{cause}: {what}." if what else ""

    def summary(self, among: Collection[str] = ()) -> str:
        """All of it, or of the fields `among` names (a section, "model", or a field, "train.epochs": what one part
        of a page shows), one sentence per cause, each reason once ('' when every such field has an effect)."""
        chosen = {f: r for f, r in self.reasons.items() if not among or f in among or f.split(".")[0] in among}
        parts = []
        for cause in dict.fromkeys(c for c, _ in chosen.values()):
            whats = dict.fromkeys(w for c, w in chosen.values() if c == cause)
            parts.append(f"{cause}: {'; '.join(whats)}.")
        return " ".join(parts)


def idle_fields(cfg: RunConfig) -> IdleFields:
    """The fields `cfg` ignores as it stands, by every rule that applies."""
    reasons: dict[str, tuple[str, str]] = {}
    reasons.update(_hidden_layer(cfg))
    reasons.update(_optimizer(cfg))
    reasons.update(_data(cfg))
    reasons.update(_schedule(cfg))
    reasons.update(_horizon(cfg))
    return IdleFields(reasons)


def _hidden_layer(cfg: RunConfig) -> dict[str, tuple[str, str]]:
    """A dense net without hidden layers is one linear layer into the output (a linear or logistic regression). A
    CNN builds its own layers (its spec has its own activations and dropout), so it leaves nothing idle here."""
    if cfg.model.cnn is not None or cfg.model.hidden:
        return {}
    return {name: (NO_HIDDEN_LAYER, what) for name, what in HIDDEN_ONLY.items()}


def users_of(name: str) -> list[str]:
    """The optimizers that read train.`name` (their registry entry's `uses`)."""
    return [o for o in OPTIMIZERS if name in OPTIMIZERS[o].params.get("uses", ())]


def _optimizer(cfg: RunConfig) -> dict[str, tuple[str, str]]:
    """Momentum means nothing to plain SGD or Adam, the betas nothing to SGD, weight decay anything but AdamW."""
    name = cfg.train.optimizer
    if name not in OPTIMIZERS:
        return {}  # validation says what is wrong with it
    uses = OPTIMIZERS[name].params.get("uses", ())
    cause = f"Optimizer {OPTIMIZERS[name].label}"
    return {f"train.{f}": (cause, f"{f.replace('_', ' ')} is used only by {' and '.join(users_of(f))}")
            for f in OPTIMIZER_FIELDS if f not in uses}


def schedule_cause(name: str) -> str:
    """"LR schedule reduce on plateau": the cause every schedule rule names, by the schedule's label."""
    return f"LR schedule {SCHEDULES[name].label if name in SCHEDULES else name}"


def _schedule(cfg: RunConfig) -> dict[str, tuple[str, str]]:
    """A constant or cosine rate has no step, decay factor or patience; exponential decay has no step or patience;
    step decay no patience, reduce on plateau no step. Two runs that differ only there train the same rates."""
    name = cfg.train.schedule
    if name not in SCHEDULES:
        return {}  # validation says what is wrong with it
    uses = SCHEDULES[name].params.get("uses", ())
    return {f"train.{f}": (schedule_cause(name), _used_only_by(f)) for f in SCHEDULE_FIELDS if f not in uses}


def _used_only_by(name: str) -> str:
    """"LR gamma is used only by the step, exponential and reduce on plateau schedules": the field as the page's
    widget names it (ui.run_controls.optimizer_extras), the schedules by label, from their registry's `uses`."""
    users = [SCHEDULES[s].label for s in SCHEDULES if name in SCHEDULES[s].params.get("uses", ())]
    listed = " and ".join([", ".join(users[:-1]), users[-1]] if len(users) > 1 else users)
    label = name.replace("lr_", "LR ").replace("_", " ")
    return f"{label} is used only by the {listed} schedule{'s' if len(users) > 1 else ''}"


def _data(cfg: RunConfig) -> dict[str, tuple[str, str]]:
    """A downloaded or bundled image set has no generated noise; an uploaded table is used whole and as it is."""
    if cfg.data.dataset not in DATASETS:
        return {}
    entry = DATASETS[cfg.data.dataset]
    kind, uses = entry.params["kind"], entry.params.get("uses", DATA_FIELDS)
    return {f"data.{f}": (f"Dataset {entry.label}", DATA_IDLE[kind, f]) for f in DATA_FIELDS
            if f not in uses and (kind, f) in DATA_IDLE}


def _horizon(cfg: RunConfig) -> dict[str, tuple[str, str]]:
    """A 2D run "until I pause" ignores Epochs (it trains to the server's cap, nnlib.validation.run_epochs), and a
    cosine schedule ignores "until I pause" (it always stops after Epochs). An image run always stops after Epochs
    and has no such toggle on its page."""
    if cfg.is_image:
        return {}
    if cfg.open_ended:
        return {"train.epochs": (UNTIL_PAUSED, EPOCHS_OPEN_ENDED)}
    if cfg.train.schedule in HORIZON_SCHEDULES:
        return {"train.until_paused": (schedule_cause(cfg.train.schedule), CHOSEN_HORIZON)}
    return {}
