"""Hostile links and imports on the real pages (issue 9, items 5 and 7): each ends in the page with one short
notice or error sentence -- no exception, no traceback, no thousand warning boxes -- and the server is configured
so that an unforeseen error never shows a visitor its traceback."""

from __future__ import annotations

import os
import tomllib

from streamlit.testing.v1 import AppTest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
PAGES = os.path.join(ROOT, "pages")
NOTICE_CHARS = 2_000  # a notice is a few sentences, whatever the link carried


def page(name: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, name), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def assert_one_short_notice(at: AppTest, *parts: str) -> str:
    assert not at.exception, at.exception
    assert len(at.warning) == 1, [w.value[:80] for w in at.warning]
    text = at.warning[0].value
    assert len(text) < NOTICE_CHARS, len(text)
    for part in parts:
        assert part in text, (part, text)
    return text


def test_cnn_link_with_an_unknown_dataset_keeps_the_page_default():
    at = page("cnn.py", {"data.dataset": "nope", "train.lr": "0.01"})
    assert_one_short_notice(at, "data.dataset='nope'")
    assert at.selectbox(key="cnn.data.dataset").value == "digits"


def test_cnn_link_with_a_superscript_probe_uses_the_first_test_image():
    at = page("cnn.py", {"probe": "\u00b2"})  # '²'.isdigit() is True, but int('²') raises
    assert not at.exception, at.exception
    assert at.session_state["cnn.probe"] == 0


def test_link_with_thousands_of_brackets_in_the_cnn_spec_is_ignored_with_a_sentence():
    at = page("playground.py", {"model.cnn": "[" * 5_000, "data.dataset": "xor"})
    assert_one_short_notice(at, "model.cnn", "nests brackets")
    assert at.selectbox(key="pg.data.dataset").value == "xor"


def test_link_with_5000_bad_activation_names_gives_one_short_notice():
    acts = ",".join(f"bad{i}" for i in range(5_000))  # ~38 KB: over the link limit
    assert_one_short_notice(page("playground.py", {"model.layer_activations": acts}), "characters")
    acts = ",".join(["b"] * 5_000)  # 10 KB: under the link limit, over the list limit
    assert_one_short_notice(page("playground.py", {"model.layer_activations": acts}), "more than 32 entries")
    acts = ",".join(f"bad{i}" for i in range(30))  # under every size limit: each name would be a problem
    at = page("playground.py", {"model.layer_activations": acts, "model.hidden": "4,4"})
    assert_one_short_notice(at, "'bad0'", "and 26 more")
    # the bad names became the model's activation: one problem left (10 names for 2 layers), not 30
    assert [e.value.count("\n- ") for e in at.error] == [1], [e.value for e in at.error]


def test_a_120_kb_link_is_refused_before_parsing():
    at = page("playground.py", {"model.hidden": ",".join(["4"] * 60_000), "data.dataset": "xor"})
    assert_one_short_notice(at, "This link cannot be used", "120,0", "none of its settings is used")
    assert at.selectbox(key="pg.data.dataset").value == "circle"


def test_deeply_nested_or_huge_config_imports_get_a_sentence():
    at = page("playground.py", {})
    for body, sentence in ((b'{"model": {"cnn": ' + b"[" * 20_000 + b"]" * 20_000 + b"}}", "characters"),
                           (b'{"model": {"cnn": ' + b"[" * 2_000 + b"]" * 2_000 + b"}}", "nests brackets"),
                           (b'{"data": {"dataset": "digits"}, "model": {"cnn": {"blocks": ['
                            + b", ".join([b'{"out_channels": 1}'] * 1_000) + b"]}}}", "1,000 entries")):
        at = at.file_uploader(key="pg.import_file").upload("run_config.json", body, "application/json").run()
        assert not at.exception, at.exception
        assert any(sentence in e.value for e in at.error), [e.value[:200] for e in at.error]


def test_a_visitor_never_sees_a_traceback():
    with open(os.path.join(ROOT, ".streamlit", "config.toml"), "rb") as f:
        config = tomllib.load(f)
    from streamlit.config import ShowErrorDetailsConfigOptions

    assert config["client"]["showErrorDetails"] == ShowErrorDetailsConfigOptions.NONE
