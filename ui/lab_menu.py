"""The Labs menu in one table (file name, title, icon): app.py builds the navigation from it and the course map
names each lab by the title the menu shows."""

from __future__ import annotations

LABS: tuple[tuple[str, str, str], ...] = (
    ("activations", "Activations", ":material/show_chart:"),
    ("initialization", "Initialization", ":material/stacked_line_chart:"),
    ("optimizers", "Optimizers", ":material/route:"),
    ("learning_rate", "Learning rate", ":material/speed:"),
    ("fitting", "Over- & underfitting", ":material/ssid_chart:"),
    ("losses", "Losses", ":material/functions:"),
    ("convolution", "Convolution", ":material/grid_on:"),
    ("pooling_norm", "Pooling & norm", ":material/view_module:"),
    ("dropout", "Dropout", ":material/grain:"),
    ("transfer", "Transfer learning", ":material/move_up:"),
    ("zoo", "Architecture zoo", ":material/account_tree:"),
)
LAB_TITLES = {f"lab-{name}": title for name, title, _ in LABS}
