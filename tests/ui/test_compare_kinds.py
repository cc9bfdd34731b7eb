"""A Playground run pinned beside an Images & CNNs run: each kind gets charts of its own (one epoch of a few hundred
points and one of thousands of images are no common axis), and the tables name settings in words and stay within a
1280 px screen (a walkthrough saw one epoch axis for both, raw keys such as data.n_samples, and a table that
scrolled sideways)."""

from __future__ import annotations

from nnlib.config import RunConfig
from nnlib.models.presets import preset_spec
from ui import compare_store as store
from ui.compare_page import differing, results_table, settings_table
from ui.compare_plots import compare_figures, compare_patches


def _hist(epochs: int) -> dict[str, list]:
    return {"epoch": list(range(1, epochs + 1)), "train_loss": [1.0] * epochs, "val_loss": [1.1] * epochs,
            "train_accuracy": [0.5] * epochs, "val_accuracy": [0.4] * epochs}


def _pins() -> list[store.Pin]:
    playground = RunConfig().to_dict()
    cnn = RunConfig().replace(  # the Images & CNNs page's setup (pages/cnn.py DEFAULT)
        data={"dataset": "digits", "n_samples": 0, "train_frac": 0.7, "val_frac": 0.15},
        model={"hidden": (64,), "activation": "relu", "initializer": "he_uniform",
               "cnn": preset_spec("tiny", (1, 8, 8))},
        train={"optimizer": "adam", "lr": 0.003, "batch_size": 32, "epochs": 40}).to_dict()
    return [store.Pin("p1", "Playground run 1", "Playground", playground, status="finished", history=_hist(300)),
            store.Pin("p2", "CNN run 1", "CNN", cnn, status="finished", history=_hist(3))]


def test_runs_of_two_kinds_never_share_an_epoch_axis():
    figs = compare_figures(store.composite_snapshot(_pins()))
    runs_per_fig = {fid: {t["legendgroup"] for t in f["data"]} for fid, f in figs.items()}
    assert all(len(runs) == 1 for runs in runs_per_fig.values()), runs_per_fig
    assert {r for runs in runs_per_fig.values() for r in runs} == {"Playground run 1", "CNN run 1"}
    titles = [f["layout"]["title"]["text"] for f in figs.values()]
    assert any(t.startswith("Playground runs") for t in titles) and any(t.startswith("Images & CNNs") for t in titles)
    assert set(compare_patches(store.composite_snapshot(_pins()))) == set(figs)  # the live route patches them all
    one_kind = compare_figures(store.composite_snapshot(_pins()[:1]))
    assert list(one_kind) == ["cmp_loss", "cmp_metric"]  # runs of one kind: one pair, as before


def test_the_tables_name_settings_in_words_and_stay_narrow():
    pins = _pins()
    differs = differing(pins, frozenset())
    assert len(differs) >= 10  # a Playground run and an image run differ in many settings
    results = results_table(pins, differs).data
    assert not [c for c in results.columns if "." in c or "_" in c], list(results.columns)  # no raw keys
    assert len(results.columns) <= 14  # run, page, status, a few settings, the final numbers
    settings = settings_table(pins, differs, all_fields=False).data
    assert "Dataset" in settings.index and "data.dataset" not in settings.index
    few = [p for p in pins if p.page == "Playground"]
    few = [few[0], store.Pin("p3", "lr 0.1", "Playground", RunConfig().replace(train={"lr": 0.1}).to_dict(),
                             history=_hist(2))]
    columns = list(results_table(few, differing(few, frozenset())).data.columns)
    assert "Learning rate" in columns  # a few differing settings stay beside the results, named as the knob


def _variants() -> list[store.Pin]:
    """A CNN dropout group as "Change one knob" pins it: the knob's value is in every run's name."""
    cnn = _pins()[1].config
    hist = {**_hist(9), "test_accuracy": [None] * 8 + [0.9]}
    return [store.Pin(f"v{i}", f"Dropout (dense head) = {v}", "CNN",
                      {**cnn, "model": {**cnn["model"], "dense_dropout": v}}, status="finished", history=hist)
            for i, v in enumerate((0, 0.25, 0.5))]


def test_the_runs_table_is_headed_short_with_tooltips_and_fits_a_laptop():
    """At 1024x768 the Runs table scrolled sideways (1,073 px in 974: "validation accuracy" and the like as headers,
    a page column saying the same in every row, four decimals), its test accuracy cut off."""
    from ui.compare_page import TABLE_FIT_PX, _rows, _width_px, result_columns, setting_columns

    pins = _pins()  # a Playground run and a CNN run: the page column says which is which
    table = results_table(pins, differing(pins, frozenset()))
    columns = result_columns(list(table.data.columns))
    assert "page" in columns and len(columns) == len(table.data.columns)
    shown = {c: (cfg["label"], cfg["help"]) for c, cfg in columns.items()}
    assert all(len(label) <= 10 and len(tip) > 20 for label, tip in shown.values()), shown  # the tooltip says it all
    assert shown["validation accuracy"][0] == "val acc" and "validation" in shown["validation accuracy"][1]
    text = table.to_string()
    assert "40.0%" in text and "0.4000" not in text  # accuracy as the run bar says it

    group = _variants()
    differs = differing(group, frozenset())
    assert differs == ["model.dense_dropout"]
    assert "page" not in _rows(group, []).columns  # every run is a CNN run: the heading says so
    # the knob's column would not fit beside the results (its value is in every run's name): it gets its own table
    assert setting_columns(group, differs) == [] and "Dropout (dense head)" not in results_table(group, differs).data
    assert _width_px(_rows(group, [])) <= TABLE_FIT_PX


def test_a_regression_group_opened_before_its_first_epoch_is_charted_as_rmse():
    """Live charts keep the words and axes they are first drawn with: a regression group's Compare page opened before
    its first epoch (no rmse in any history yet) drew "Accuracy" on 0..1 and then plotted RMSE into it."""
    cfg = RunConfig().replace(data={"dataset": "plane"}).to_dict()
    pins = [store.Pin(f"r{i}", f"Learning rate = {lr}", "Playground", cfg, status="running", history={})
            for i, lr in enumerate((0.01, 0.1))]
    metric = compare_figures(store.composite_snapshot(pins))["cmp_metric"]["layout"]
    assert metric["title"]["text"].startswith("RMSE") and metric["yaxis"]["title"]["text"] == "rmse"
    assert "range" not in metric["yaxis"]  # not accuracy's 0..1.02
    classes = [store.Pin("c", "run", "Playground", RunConfig().to_dict(), status="running", history={})]
    assert compare_figures(store.composite_snapshot(classes))["cmp_metric"]["layout"]["title"]["text"].startswith(
        "Accuracy")


def test_cnn_knob_variants_show_the_knob_as_the_highlighted_column():
    """The Runs table of three dense-dropout variants had one highlighted column, "CNN layers": custom, custom,
    custom. It now has the knob, "Dropout (dense head)": 0 / 0.25 / 0.5, and names the architecture "tiny"."""
    from nnlib.compare import variants
    from ui.compare_page import flat_fields

    base = RunConfig().replace(data={"dataset": "shapes"}, model={"cnn": preset_spec("tiny", (1, 28, 28))},
                               train={"epochs": 8, "until_paused": False})
    pins = [store.Pin(f"v{i}", f"v{i}", "CNN", c.to_dict(), status="finished", history=_hist(8))
            for i, c in enumerate(variants(base, "dense_dropout", [0, 0.25, 0.5]))]
    df = results_table(pins, differing(pins, frozenset())).data
    assert list(df["Dropout (dense head)"]) == ["0", "0.25", "0.5"]
    assert "CNN layers" not in df.columns and "Architecture" not in df.columns  # the same in every run
    every = settings_table(pins, differing(pins, frozenset()), all_fields=True).data
    assert list(every.loc["Architecture"]) == ["tiny"] * 3
    assert list(every.loc["Conv blocks"])[0] == "conv 8 3x3 max, conv 16 3x3 max"
    assert flat_fields(pins[0].config)["model.cnn"] == "tiny"
