"""Learning curves as a student reads them, on every page: the legend names only curves that are drawn, a one-epoch
run shows its point, and a short run's epoch axis ticks whole epochs (walkthroughs saw a greyed "test" entry with no
curve, an empty one-epoch chart, and ticks at 1.5 and 2.5)."""

from __future__ import annotations

from typing import Any

from ui.compare_plots import compare_figures
from ui.plots import curve_patches, loss_figure, metric_figure
from ui.run_controls import static_chart


def _history(epochs: int, test: list | None = None, val: bool = True) -> dict[str, list]:
    hist: dict[str, list] = {"epoch": list(range(1, epochs + 1)),
                             "train_loss": [1.0 / e for e in range(1, epochs + 1)],
                             "train_accuracy": [0.5] * epochs}
    if val:
        hist["val_loss"] = [1.1 / e for e in range(1, epochs + 1)]
        hist["val_accuracy"] = [0.4] * epochs
    if test is not None:
        hist["test_loss"] = test
    return hist


def _in_legend(fig: dict[str, Any]) -> list[str]:
    return [t["name"] for t in fig["data"] if t.get("showlegend", True) and t.get("visible", True) is not False]


def _drawn(trace: dict[str, Any]) -> bool:
    """Whether plotly draws something for the trace: a point needs a marker; a line needs two points."""
    ys = [y for y in trace["y"] if y is not None and y == y]
    return trace.get("visible", True) is True and bool(ys) and ("markers" in trace["mode"] or len(ys) > 1)


def test_a_split_without_points_is_not_in_the_legend():
    """An image run in training has no test loss yet; a Playground run with no test split has none at all."""
    training = loss_figure({"history": _history(3, test=[None, None, None]), "best_epoch": 3})
    assert "test" not in _in_legend(training)
    assert _in_legend(training) == ["train", "validation", "best epoch"]
    no_test = loss_figure({"history": _history(3)})
    assert "test" not in _in_legend(no_test) and "best epoch" not in _in_legend(no_test)


def test_every_legend_entry_names_a_drawn_curve():
    """The entries that remain are drawn: the test loss an image run measures at the end is a point, shown."""
    ended = loss_figure({"history": _history(3, test=[None, None, 0.25]), "best_epoch": 3})
    named = _in_legend(ended)
    assert "test" in named
    assert all(_drawn(t) for t in ended["data"] if t["name"] in named)
    no_val = compare_figures({"runs": [{"label": "a", "history": _history(4, val=False)}]})
    assert _in_legend(no_val["cmp_loss"]) == ["a · train"]


def test_a_one_epoch_run_draws_its_point():
    for fig in (loss_figure({"history": _history(1), "best_epoch": 1}), metric_figure({"history": _history(1)}),
                *compare_figures({"runs": [{"label": "a", "history": _history(1)}]}).values()):
        curves = [t for t in fig["data"] if t["name"] != "best epoch" and len(t["y"])]
        assert curves and all(_drawn(t) for t in curves), fig["layout"]["title"]


def test_the_live_patch_says_when_a_curve_appears():
    """The live view keeps the legend it was first drawn with unless a patch changes it: the test point an image run
    measures at the end must bring its legend entry (and its marker) with it."""
    before = curve_patches({"history": _history(2, test=[None, None])}, have=1)["loss"]
    after = curve_patches({"history": _history(3, test=[None, None, 0.25])}, have=2)["loss"]
    assert before[2]["showlegend"] is False
    assert after[2]["showlegend"] is True and "markers" in after[2]["mode"]


class _Box:
    def __init__(self) -> None:
        self.figs: list[dict[str, Any]] = []

    def plotly_chart(self, fig: dict[str, Any], **_: Any) -> None:
        self.figs.append(fig)


def _ticks(fig: dict[str, Any]) -> dict[str, Any]:
    box = _Box()
    static_chart(box, fig, "k")
    return {k: v for k, v in box.figs[0]["layout"]["xaxis"].items() if k in ("dtick", "tick0", "tickmode")}


def test_a_short_run_ticks_whole_epochs_on_every_epoch_axis():
    """One rule for every epoch axis drawn statically (the live view applies it in ui/live.js)."""
    short = {"history": _history(3), "best_epoch": 3}
    for fig in (loss_figure(short), metric_figure(short),
                compare_figures({"runs": [{"label": "a", "history": _history(3)}]})["cmp_loss"]):
        assert _ticks(fig) == {"dtick": 1, "tick0": 0, "tickmode": "linear"}
    assert _ticks(loss_figure({"history": _history(60)})) == {}  # plotly's own ticks (10, 20, ...) on a long run
    assert _ticks(loss_figure({"history": {}})) == {}  # nothing yet: no tick every epoch for the live run to come
