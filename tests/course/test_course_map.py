"""Every link of the course map: it parses without notices, the page opens with it (AppTest, no warning, no
error), and a run preset is what the page would train -- and it trains (a few epochs through nnlib)."""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from nnlib.config import RunConfig
from nnlib.course_map import COURSE, PAGES
from nnlib.train.trainer import Trainer
from ui.labs.links import settings_from_query
from ui.links import lenient_config

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
LECTURE_ORDER = ("Neuron and MLP", "Activations", "Softmax", "losses", "Gradient descent", "Mini-batches",
                 "Learning rate", "Adam", "schedules", "splits", "underfitting", "L1 and L2", "Dropout",
                 "Early stopping", "augmentation", "initialization", "standardization", "Convolution", "pooling",
                 "transposed", "group norm", "architectures", "Transfer", "F1", "Saving and loading")
PAGE_FILES = {"playground": "pages/playground.py", "cnn": "pages/cnn.py", "compare": "pages/compare.py",
              **{k: f"pages/labs/{k.removeprefix('lab-')}.py" for k in PAGES if k.startswith("lab-")}}
PREFIX = {"playground": "pg", "cnn": "cnn"}


def _pairs(concept) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(concept.link).query, keep_blank_values=True)


def test_the_concepts_come_in_lecture_order_each_with_a_sentence() -> None:
    assert len(COURSE) == len(LECTURE_ORDER)
    for concept, word in zip(COURSE, LECTURE_ORDER, strict=True):
        assert word.lower() in concept.title.lower(), (concept.title, word)
        assert concept.sentence.endswith(".") and len(concept.sentence) < 200


@pytest.mark.parametrize("concept", COURSE, ids=[c.title for c in COURSE])
def test_every_link_parses_without_notices(concept) -> None:
    assert urlsplit(concept.link).path == "/" + PAGES[concept.page]
    if concept.trains:
        cfg, notes = lenient_config(_pairs(concept), RunConfig())
        assert notes == [] and cfg.to_query_dict() != {}
    else:
        lab = {k.partition(".")[0] for k in concept.query}
        for name in lab:
            _, notes = settings_from_query(name, dict(_pairs(concept)))
            assert notes == [], (concept.title, notes)


@pytest.mark.parametrize("concept", COURSE, ids=[c.title for c in COURSE])
def test_every_link_opens_and_its_preset_trains(concept) -> None:
    at = AppTest.from_file(os.path.join(ROOT, PAGE_FILES[concept.page]), default_timeout=120)
    for k, v in _pairs(concept):
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error and not at.warning, [w.value for w in [*at.error, *at.warning]]
    if not concept.trains:
        return
    ready = at.session_state[f"{PREFIX[concept.page]}.ready"]
    assert ready is not None  # the page would train this setup
    cfg: RunConfig = ready[0]
    have = cfg.to_query_dict(only_changed=False)
    for key, text in _pairs(concept):  # the link's settings are the page's
        assert have[key] == RunConfig.from_query({key: text}).to_query_dict(only_changed=False)[key], key
    trainer = Trainer(cfg.replace(train={"epochs": 2, "until_paused": False}))
    trainer.run()
    assert trainer.status == "finished" and len(trainer.history.records) == 2


def test_the_course_map_page_lists_every_concept_with_its_link() -> None:
    at = AppTest.from_file(os.path.join(ROOT, "pages", "course_map.py"), default_timeout=60).run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    for i, concept in enumerate(COURSE, start=1):
        assert f"**{i}. {concept.title}**" in text
        assert f"({concept.link})" in text


def test_the_regularization_concepts_open_the_labs_that_teach_them() -> None:
    """Items 11-14 all opened the Playground: the Over- and underfitting lab and the Dropout lab were never linked."""
    by_title = {c.title: c for c in COURSE}
    assert by_title["Over- and underfitting"].page == "lab-fitting"
    assert by_title["Dropout"].page == "lab-dropout"
    for title, remedy in (("L1 and L2", "l2"), ("Early stopping", "early_stopping")):
        query = by_title[title].query
        assert by_title[title].page == "lab-fitting" and query["fitting.experiment"] == "remedies"
        assert remedy in query["fitting.remedies"].split(",")
    assert {c.page for c in COURSE} >= {p for p in PAGES if p.startswith("lab-")}  # every lab is on the map


def test_a_focused_link_names_a_widget_its_page_renders() -> None:
    """The "Softmax" link lands on the softmax part (ui/page_aids.js scrolls to the widget its focus names): the
    widget must exist on that page, or the link would land nowhere."""
    focused = [c for c in COURSE if c.focus]
    assert [c.title for c in focused] == ["Softmax"]
    for concept in focused:
        assert f"focus={concept.focus}" in concept.link
        at = AppTest.from_file(os.path.join(ROOT, PAGE_FILES[concept.page]), default_timeout=120)
        for k, v in _pairs(concept):
            at.query_params[k] = v
        at.run()
        assert concept.focus in at.session_state  # the keyed widget the link scrolls to
