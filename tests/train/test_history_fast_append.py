"""History appends an epoch whose keys match the previous one's straight into the planned columns; whatever the
sequence of epochs (keys coming and going, a key that holds a number only sometimes, metrics added to the last
epoch afterwards), its columns must be what the records say, column by column."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.train.callbacks import History

KEYS = ("train_loss", "val_loss", "best_epoch", "note")
value = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 3), st.booleans(),
                  st.just("text"))
epoch_logs = st.fixed_dictionaries({}, optional={k: value for k in KEYS} | {
    "weight_norms": st.lists(st.floats(0, 10), max_size=3)})
step = st.one_of(st.tuples(st.just("append"), epoch_logs),
                 st.tuples(st.just("update_last"), st.fixed_dictionaries(
                     {}, optional={"test_loss": st.floats(0, 5), "dead_fraction": st.floats(0, 1)})))


def expected_columns(records: list[dict]) -> dict[str, list]:
    """Each key that ever held a number (not a bool), in order of first appearance, read from every record."""
    def number(v: object) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    keys: list[str] = []
    for r in records:
        keys += [k for k, v in r.items() if number(v) and k not in keys]
        if r.get("weight_norms") is not None and "weight_norm" not in keys:
            keys.append("weight_norm")
    cols: dict[str, list] = {}
    for k in keys:
        if k == "weight_norm":
            cols[k] = [None if r.get("weight_norms") is None else math.sqrt(sum(w * w for w in r["weight_norms"]))
                       for r in records]
        else:
            cols[k] = [float(r[k]) if number(r.get(k)) and r[k] == r[k] else None for r in records]
    return cols


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(step, max_size=25))
def test_columns_always_match_the_records(steps: list) -> None:
    history = History()
    for kind, logs in steps:
        if kind == "append":
            history.append(logs)
        elif history.records:
            history.update_last(logs)
        got = history.columns
        want = expected_columns(history.records)
        assert set(got) == set(want)
        assert all(got[k] == want[k] for k in want), (got, want)


def test_a_run_of_same_keyed_epochs_takes_the_planned_path() -> None:
    """The plan is what makes an epoch cheap: after the first epoch, same-keyed epochs use it."""
    history = History()
    history.append({"epoch": 1, "train_loss": 0.5, "fast_path": True, "weight_norms": [1.0, 2.0]})
    plan = history._plan
    history.append({"epoch": 2, "train_loss": 0.4, "fast_path": True, "weight_norms": [1.0, 3.0]})
    assert history._plan is plan and history.columns["train_loss"] == [0.5, 0.4]
    assert history.columns["weight_norm"] == [math.sqrt(5.0), math.sqrt(10.0)]
