"""Comparing runs: "change one knob" variants of a run, what differs between configs, the comparison export, and
the group run that trains several variants side by side in one job (no Streamlit here; ui/compare_* draws it)."""

from nnlib.compare.export import comparison_csv, comparison_json
from nnlib.compare.knobs import KNOBS, Knob, knobs_for
from nnlib.compare.variants import MAX_VARIANTS, VariantError, config_diff, variant_labels, variants

__all__ = ["KNOBS", "MAX_VARIANTS", "Knob", "VariantError", "comparison_csv", "comparison_json", "config_diff",
           "knobs_for", "variant_labels", "variants"]
