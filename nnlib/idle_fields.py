"""Which settings a config makes ineffective, and why: the one rule the pages use to grey such controls out.

A net without hidden layers is one linear layer into the output (a linear or logistic regression): the hidden
activation, dropout and normalization act on hidden layers only, so with none they change nothing. Left enabled
without a word, a student tries three activations, sees three identical runs and "learns" that the activation does
not matter. The values stay in the config (and in links): they are ignored, not cleared, and apply again as soon as
a layer is added. Torch-free, like nnlib.config.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnlib.config import RunConfig

NO_HIDDEN_LAYER = "No hidden layer"
# (model.layer_activations needs no entry: with no hidden layer it must be empty, validation says so)
HIDDEN_ONLY = {
    "model.activation": "the activation has nothing to act on (the output's own function comes with the loss)",
    "model.dropout": "dropout has no hidden units to drop",
    "model.norm": "normalization has no hidden layer to normalize",
}


@dataclass(frozen=True)
class IdleFields:
    """Why some fields have no effect (`cause`, e.g. "No hidden layer") and what each of them would act on."""

    cause: str = ""
    reasons: dict[str, str] = field(default_factory=dict)  # "section.field" -> what it has nothing to act on

    def reason(self, field_name: str) -> str:
        """The sentence for one field ('' if it has an effect): "No hidden layer: dropout has no hidden units..."."""
        what = self.reasons.get(field_name)
        return f"{self.cause}: {what}." if what else ""

    def summary(self) -> str:
        """All of it in one sentence, each reason once ('' when every field has an effect)."""
        whats = list(dict.fromkeys(self.reasons.values()))
        return f"{self.cause}: {'; '.join(whats)}." if whats else ""


def idle_fields(cfg: RunConfig) -> IdleFields:
    """The fields `cfg` ignores as it stands. A CNN builds its own layers (its spec has its own activations and
    dropout), so only a dense net without hidden layers leaves fields idle."""
    if cfg.model.cnn is not None or cfg.model.hidden:
        return IdleFields()
    return IdleFields(NO_HIDDEN_LAYER, dict(HIDDEN_ONLY))
