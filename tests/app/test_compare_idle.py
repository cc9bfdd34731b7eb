"""AppTest of the Compare page's differences against the setup each run ignores (nnlib.idle_fields): a field every
pinned run ignores is no difference, one that only some ignore is, marked in the cells of the runs that ignore it."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from nnlib.config import RunConfig

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
BASE = RunConfig().replace(train={"epochs": 3, "until_paused": False})


def page(person: str, configs: dict[str, RunConfig]) -> AppTest:
    """The Compare page with these finished runs pinned (no job behind them: what a pin keeps once its job is
    gone)."""
    from ui import compare_store as store

    store.clear(person)
    history = {"epoch": [1, 2, 3], "train_loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.8]}
    for i, (label, cfg) in enumerate(configs.items()):
        assert store.pin(person, store.Pin(f"p{i}", label, "Playground", cfg.to_dict(), status="finished",
                                           epoch=3, history=history, epochs=3)) is None
    at = AppTest.from_file(os.path.join(ROOT, "pages", "compare.py"), default_timeout=60)
    at.session_state["nn_person"] = person
    at.run()
    assert not at.exception, at.exception
    return at


def frames(at: AppTest) -> list:
    return [d.value for d in at.dataframe]


def test_two_sgd_runs_with_other_momenta_are_the_same_setup_and_the_table_says_so() -> None:
    at = page("idle-compare-1", {"sgd 0.9": BASE.replace(train={"momentum": 0.9, "lr_step": 30}),
                                 "sgd 0.5": BASE.replace(train={"momentum": 0.5, "lr_step": 5})})
    assert any("— same settings" in m.value for m in at.markdown)
    results = frames(at)[0]
    assert "Momentum" not in results.columns and "LR step (epochs)" not in results.columns
    assert any("sgd 0.9 and sgd 0.5 have the same settings in effect" in c.value for c in at.caption)
    settings = frames(at)[-1]  # all settings, side by side: the values are there, marked as ignored
    assert list(settings.loc["Momentum"]) == ["0.9 (ignored: Optimizer sgd)", "0.5 (ignored: Optimizer sgd)"]
    assert list(settings.loc["LR step (epochs)"]) == ["30 (ignored: LR schedule constant)",
                                                     "5 (ignored: LR schedule constant)"]
    assert list(settings.loc["Learning rate"]) == ["0.03", "0.03"]  # equal and used: no mark


def test_a_field_one_run_uses_and_another_ignores_is_a_difference_that_says_which() -> None:
    at = page("idle-compare-2", {"sgd": BASE.replace(train={"momentum": 0.9}),
                                 "momentum": BASE.replace(train={"optimizer": "momentum", "momentum": 0.5})})
    assert any("— settings that differ are highlighted" in m.value for m in at.markdown)
    results = frames(at)[0]
    assert list(results["Momentum"]) == ["0.9 (ignored: Optimizer sgd)", "0.5"]
    assert not any("have the same settings" in c.value for c in at.caption)


def test_runs_with_the_same_label_each_get_a_column_of_settings() -> None:
    """Two sessions' first runs are both "Playground run 1": the settings table was built from a dict by label,
    so it showed one column for two runs (and its renaming of equal labels never ran)."""
    from ui import compare_store as store
    from ui.compare_page import settings_table

    pins = [store.Pin(f"p{i}", "Playground run 1", "Playground", BASE.replace(train={"lr": lr}).to_dict())
            for i, lr in enumerate((0.03, 0.1))]
    table = settings_table(pins, ["train.lr"], all_fields=True).data
    assert list(table.columns) == ["Playground run 1 (1)", "Playground run 1 (2)"]
    assert list(table.loc["Learning rate"]) == ["0.03", "0.1"]
