"""Admission for class members: limits per class and per student, checked before a job is submitted, each
refusal a sentence saying what to do and when to retry (the job manager's own per-person and queue limits still
apply after these).

Defaults suit 40 students on a 2-core server; each is an environment variable:
NNLIB_CLASS_JOBS (active jobs of one class, 40), NNLIB_STUDENT_JOBS (active jobs of one student, 1),
NNLIB_CLASS_MAX_EPOCHS (epochs of one run, 1000), NNLIB_CLASS_MAX_PARAMS (parameters of one model, 20000),
NNLIB_STUDENT_CPU_SECONDS (estimated CPU seconds a student may have running at once, 120).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from nnlib.config import RunConfig
from nnlib.words import count


@dataclass(frozen=True)
class ClassLimits:
    class_jobs: int = 40
    student_jobs: int = 1
    max_epochs: int = 1000
    max_params: int = 20000
    student_cpu_seconds: float = 120.0

    @classmethod
    def from_env(cls) -> ClassLimits:
        env = os.environ.get
        return cls(int(env("NNLIB_CLASS_JOBS", 40)), int(env("NNLIB_STUDENT_JOBS", 1)),
                   int(env("NNLIB_CLASS_MAX_EPOCHS", 1000)), int(env("NNLIB_CLASS_MAX_PARAMS", 20000)),
                   float(env("NNLIB_STUDENT_CPU_SECONDS", 120)))


def refusal(limits: ClassLimits, *, epochs: int, params: int, cpu_seconds: float, class_active: int,
            student_active: int, student_cpu_active: float) -> str | None:
    """None if the run may start, else why not (one sentence for the student)."""
    if epochs > limits.max_epochs:
        return (f"Your class allows at most {count(limits.max_epochs, 'epoch')} per run (this one asks for {epochs}); "
                "lower the epochs.")
    if params > limits.max_params:
        return (f"Your class allows models of at most {limits.max_params:,} parameters (this one has {params:,}); "
                "use fewer or narrower layers.")
    if student_active >= limits.student_jobs:
        return (f"You already have {student_active} run(s) going (your class allows {limits.student_jobs}); "
                "stop it or wait until it ends, then press Train again.")
    if student_cpu_active + cpu_seconds > limits.student_cpu_seconds:
        return (f"This run needs about {cpu_seconds:.0f} s of CPU and your runs already use "
                f"{student_cpu_active:.0f} s of the {limits.student_cpu_seconds:.0f} s your class allows at once; "
                "make it smaller or wait until your run ends.")
    if class_active >= limits.class_jobs:
        return (f"The class server is full ({count(class_active, 'run')} going, the limit is {limits.class_jobs}); "
                "try again in a minute, when some have finished.")
    return None


def within_class_epochs(cfg: RunConfig, limits: ClassLimits | None = None) -> RunConfig:
    """A "train until I pause" run ends at the class's epoch limit instead of being refused for the server's
    open-ended horizon (20,000 epochs), which no student asked for: it becomes a run of max_epochs epochs that the
    student can still pause or stop sooner. Bounded runs are returned unchanged (over the limit they are refused,
    with the epochs they asked for)."""
    from nnlib.validation import run_epochs

    limit = (limits or ClassLimits.from_env()).max_epochs
    if cfg.open_ended and run_epochs(cfg) > limit:
        return cfg.replace(train={"until_paused": False, "epochs": limit})
    return cfg


def model_params(cfg: RunConfig) -> int:
    """Parameters of the model a RunConfig builds, from shapes alone (no torch): what max_params limits."""
    from nnlib.activations import widen_factor
    from nnlib.models.shapes import cnn_layers, totals
    from nnlib.validation import _mlp_macs, _outputs  # the validator's own counts: one definition of "size"

    model = cfg.model
    if model.cnn is None:
        return int(_mlp_macs(cfg))  # an MLP's multiply-adds per example equal its weight count
    layers = cnn_layers(model.cnn, cfg.dataset_info.get("shape"), _outputs(cfg), widen_factor(model.activation),
                        activation=model.activation)
    return int(totals(layers)[0])


def class_refusal(live: list[tuple[str, str]], class_owner: str, cfg: RunConfig,
                  limits: ClassLimits | None = None) -> str | None:
    """The refusal for `class_owner` submitting `cfg`, given the class's active jobs as (owner, config JSON)
    pairs (RunRecorder.tracked filtered to active ones); None if it may start."""
    from nnlib.validation import estimate_cost, run_epochs

    mine = [config for owner, config in live if owner == class_owner]
    return refusal(limits or ClassLimits.from_env(), epochs=run_epochs(cfg), params=model_params(cfg),
                   cpu_seconds=estimate_cost(cfg).cpu_seconds, class_active=len(live), student_active=len(mine),
                   student_cpu_active=sum(estimate_cost(RunConfig.from_json(c)).cpu_seconds for c in mine))
