"""Classification metrics beyond accuracy -- confusion matrix, per-class precision/recall/F1, the most
confident mistakes -- in plain numpy so pages and tests use them without torch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """[n_classes, n_classes] counts; row = true class, column = predicted class."""
    t = np.asarray(y_true, dtype=np.int64).ravel()
    p = np.asarray(y_pred, dtype=np.int64).ravel()
    if t.shape != p.shape:
        raise ValueError(f"{t.size} true labels but {p.size} predictions")
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= n_classes):
        raise ValueError(f"labels must be in 0..{n_classes - 1}")
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


@dataclass(frozen=True)
class ClassReport:
    """Per-class arrays (index = class) and their macro averages (unweighted mean over classes)."""

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    macro_precision: float
    macro_recall: float
    macro_f1: float
    accuracy: float


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(num.shape, dtype=np.float64), where=den > 0)


def per_class_prf(cm: Any) -> ClassReport:
    """Precision tp/(tp+fp), recall tp/(tp+fn), F1 their harmonic mean; 0 where undefined (no predictions or
    no examples). Macro averages leave out classes that occur neither as label nor as prediction."""
    m = np.asarray(cm, dtype=np.float64)
    tp = np.diag(m)
    predicted, support = m.sum(axis=0), m.sum(axis=1)
    precision, recall = _ratio(tp, predicted), _ratio(tp, support)
    f1 = _ratio(2 * precision * recall, precision + recall)
    present = (predicted + support) > 0

    def macro(v: np.ndarray) -> float:
        return float(v[present].mean()) if present.any() else 0.0

    total = m.sum()
    return ClassReport(precision, recall, f1, support.astype(np.int64), macro(precision), macro(recall),
                       macro(f1), float(tp.sum() / total) if total else 0.0)


def most_confident_mistakes(probs: Any, y_true: Any, k: int = 10
                            ) -> list[tuple[int, int, int, list[tuple[int, float]]]]:
    """The k wrong predictions the model was surest of: (index, true class, predicted class, top-3 [(class,
    probability)]), most confident first -- often mislabeled or genuinely ambiguous examples.

    probs: [N, n_classes] softmax outputs, or [N] / [N, 1] sigmoid outputs of a binary model."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1 or p.shape[1] == 1:  # one sigmoid output: P(class 1)
        p = np.stack([1.0 - p.ravel(), p.ravel()], axis=1)
    t = np.asarray(y_true, dtype=np.int64).ravel()
    pred = p.argmax(axis=1)
    wrong = np.flatnonzero(pred != t)
    conf = p[wrong, pred[wrong]]
    order = wrong[np.argsort(-conf, kind="stable")][:k]
    top = np.argsort(-p[order], axis=1, kind="stable")[:, :3]
    return [(int(i), int(t[i]), int(pred[i]), [(int(c), float(p[i, c])) for c in row])
            for i, row in zip(order, top)]
