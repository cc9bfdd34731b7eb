"""Confusion matrix, precision/recall/F1 and confident mistakes on examples small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from nnlib.inspect.metrics import confusion_matrix, most_confident_mistakes, per_class_prf


def test_confusion_matrix_rows_are_true_classes() -> None:
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert confusion_matrix([], [], 2).sum() == 0
    with pytest.raises(ValueError):
        confusion_matrix([0, 3], [0, 1], 3)


def test_precision_recall_f1_by_hand() -> None:
    r = per_class_prf([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_allclose(r.precision, [1 / 2, 1 / 2, 1])
    np.testing.assert_allclose(r.recall, [1 / 2, 1, 2 / 3])
    np.testing.assert_allclose(r.f1, [1 / 2, 2 / 3, 0.8])
    np.testing.assert_array_equal(r.support, [2, 1, 3])
    assert r.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)
    assert r.macro_precision == pytest.approx(2 / 3) and r.accuracy == pytest.approx(4 / 6)


def test_undefined_scores_are_zero_and_absent_classes_skipped() -> None:
    r = per_class_prf(confusion_matrix([0, 0, 1], [0, 0, 0], 4))  # class 1 never predicted; 2, 3 absent
    assert r.precision[1] == 0 and r.recall[1] == 0 and r.f1[1] == 0
    assert r.macro_recall == pytest.approx(0.5)  # mean over classes 0 and 1 only


def test_matches_sklearn() -> None:
    from sklearn.metrics import f1_score, precision_score, recall_score

    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    r = per_class_prf(confusion_matrix(t, p, 5))
    np.testing.assert_allclose(r.f1, f1_score(t, p, average=None))
    assert r.macro_f1 == pytest.approx(f1_score(t, p, average="macro"))
    assert r.macro_precision == pytest.approx(precision_score(t, p, average="macro"))
    assert r.macro_recall == pytest.approx(recall_score(t, p, average="macro"))


def test_most_confident_mistakes() -> None:
    probs = np.array([[0.9, 0.05, 0.05],   # right
                      [0.2, 0.7, 0.1],     # wrong (true 0), conf 0.7
                      [0.1, 0.05, 0.85],   # wrong (true 1), conf 0.85
                      [0.4, 0.35, 0.25]])  # wrong (true 2), conf 0.4
    out = most_confident_mistakes(probs, [0, 0, 1, 2], k=2)
    assert [(i, t, p) for i, t, p, _ in out] == [(2, 1, 2), (1, 0, 1)]
    assert out[0][3] == [(2, 0.85), (0, 0.1), (1, 0.05)]
    assert most_confident_mistakes(probs[:1], [0], k=5) == []
    binary = most_confident_mistakes(np.array([0.9, 0.2, 0.6]), [1, 1, 0], k=3)
    assert [(i, t, p) for i, t, p, _ in binary] == [(1, 1, 0), (2, 0, 1)]
