"""AppTest of how the Playground's controls read: numbers written as people write them, and the controls a
network without hidden layers ignores said to be ignored (disabled, with the reason) instead of silently inert."""

import os

from streamlit.testing.v1 import AppTest

PAGE = os.path.join(os.path.dirname(__file__), "..", "..", "pages", "playground.py")


def app(**query):
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k.replace("__", ".")] = v
    return at.run()


def test_number_widgets_show_as_many_decimals_as_their_step_and_plain_bounds():
    at = app(train__optimizer="adam")
    assert not at.exception
    assert at.slider(key="pg.data.noise").proto.format == "%.0f"  # percent in steps of 5: 30, not 30.00
    assert at.slider(key="pg.data.train_frac").proto.format == "%.2f"
    assert at.number_input(key="pg.model.dropout").proto.format == "%.2f"
    assert at.number_input(key="pg.train.l2").proto.format == "%.4f"
    assert at.number_input(key="pg.train.beta2").proto.format == "%.4f"  # 0.9990, not 1.00
    assert "Range: 0 to 2,147,483,647." in at.number_input(key="pg.train.seed").help
    assert "Range: 1 to 10,000." in at.number_input(key="pg.train.epochs").help
    for w in list(at.number_input) + list(at.slider):
        assert "e+" not in w.help and "e-0" not in w.help, (w.label, w.help)


def test_a_link_beyond_a_bound_is_told_in_plain_numbers():
    at = app(data__seed="3000000000")
    text = " ".join(w.value for w in at.warning)
    assert "data.seed=3,000,000,000 is out of range (0 to 2,147,483,647), so 2,147,483,647 is used" in text, text
