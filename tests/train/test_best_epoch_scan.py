"""The best epoch a snapshot reports (lowest validation loss so far) is found incrementally as the history grows,
with the last row rewritable: it must always be the whole column's first lowest value, as np.nanargmin gives."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.inspect.snapshot import _best_so_far
from nnlib.train.callbacks import History

values = st.one_of(st.none(), st.just(float("nan")), st.floats(-5, 5, allow_nan=False),
                   st.sampled_from([0.5, 1.0, float("inf")]))


def reference(column: list) -> int | None:
    arr = np.array([np.nan if v is None else v for v in column], dtype=np.float64)
    return None if not arr.size or np.isnan(arr).all() else int(np.nanargmin(arr)) + 1


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), values), max_size=30))
def test_best_epoch_matches_nanargmin_over_a_growing_history_with_rewritten_last_rows(steps: list) -> None:
    """Each step appends an epoch, or (when True) rewrites the last one's val_loss as update_last does."""
    history = History()
    trainer = SimpleNamespace(history=history)
    for rewrite, v in steps:
        if rewrite and history.records:
            history.update_last({"val_loss": v if v is not None else float("nan")})
        else:
            history.append({"epoch": len(history.records) + 1, **({} if v is None else {"val_loss": v})})
        assert _best_so_far(trainer) == reference(history.column("val_loss"))
