"""Fuzzing the setup's text surfaces permanently, in every `make test`: share-link queries (ui.links.lenient_config
as the pages read them, and RunConfig.from_query), config JSON (RunConfig.from_json) and run-file imports
(ui.run_file.read_run).

Every generated case must end in a valid object or a clear error (ConfigError / RunFileError with short
sentences) -- never another exception type, a hang, a message that repeats a 30 KB input, or an accepted config
whose cost is over the server's limits (parameters, multiply-adds, layers). Hostile shapes are included on purpose:
thousands of '[', 120 KB links, 5,000-entry lists, numbers of thousands of digits, unicode digits like '²'.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlib.activations import ACTIVATIONS
from nnlib.config import (
    MAX_ERRORS,
    MAX_HIDDEN_LAYERS,
    MAX_PARAMS,
    MAX_WORK,
    ConfigError,
    RunConfig,
    mlp_param_count,
)
from ui.links import lenient_config, notice

FUZZ = settings(max_examples=500, deadline=20_000, database=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                          HealthCheck.data_too_large])
MESSAGE_CHARS = 400  # one problem is a sentence, even about a 100 KB value
NOTICE_CHARS = 4_000  # the whole link notice: at most MAX_NOTED phrases
MAX_CONV_BLOCKS = 12

KEYS = [f"{s}.{n}" for s, names in {
    "data": ["dataset", "n_samples", "noise", "n_classes", "train_frac", "val_frac", "features", "augment",
             "csv_path", "seed"],
    "model": ["hidden", "activation", "layer_activations", "initializer", "dropout", "batch_norm", "cnn"],
    "train": ["loss", "optimizer", "lr", "momentum", "batch_size", "epochs", "until_paused", "speed", "schedule",
              "patience", "device", "seed"]}.items() for n in names]
NAMES = ["xor", "circle", "digits", "mnist_5k", "shapes", "csv", "relu", "tanh", "maxout", "prelu", "adam", "sgd",
         "cosine", "cuda", "cpu", "x1", "x2", "x1*x2", "shift", "flip", "bad", "", "../../etc/passwd"]
ODD_TEXT = ["", "0", "1", "-1", "1e999", "-1e999", "nan", "inf", "1e300", "\u00b2", "\u0663", "1_000", " 2",
            "9" * 30, "9" * 5_000, "[", "[" * 3_000, "{" * 50, '"' * 9, "null", "true", "[]", "{}", "4,4",
            "300,300,300", ",,,", "x1,x2,x1*x2", "\x00", "\u00e9\u0301"]


@st.composite
def cnn_specs(draw: st.DrawFn) -> dict:
    """A CNN spec as JSON data: mostly plausible blocks with values around and beyond their bounds."""
    block = st.fixed_dictionaries({}, optional={
        "kind": st.sampled_from(["conv", "residual", "separable", "dense"]),
        "out_channels": st.one_of(st.integers(-2, 300), st.sampled_from([1e300, 2**70, "8"])),
        "kernel": st.integers(-1, 15), "stride": st.integers(0, 5), "padding": st.integers(-1, 6),
        "pool": st.sampled_from(["max", "avg", "none", "min"]), "pool_size": st.integers(0, 5),
        "activation": st.sampled_from(["", "relu", "maxout", "nope"]), "batch_norm": st.booleans(),
        "dropout": st.floats(-1, 2)})
    spec = draw(st.fixed_dictionaries({}, optional={
        "blocks": st.one_of(st.lists(block, max_size=16), st.integers(0, 5_000).map(lambda n: [{}] * n)),
        "dense": st.lists(st.one_of(st.integers(-1, 5_000), st.just(1e300)), max_size=6),
        "head": st.sampled_from(["flatten", "global_avg", "global_max", "nope"])}))
    return spec


def _join(xs: list) -> str:
    return ",".join(map(str, xs))


VALUES = st.one_of(
    st.sampled_from(ODD_TEXT), st.sampled_from(NAMES), st.text(max_size=12),
    st.integers().map(str), st.floats().map(repr),
    st.lists(st.sampled_from(NAMES + ["4", "8", "300", "-1"]), max_size=12).map(",".join),
    st.lists(st.integers(-5, 400), max_size=14).map(_join),
    cnn_specs().map(json.dumps),
    st.integers(1, 40_000).map(lambda n: "4," * n),  # up to an 80 KB value
    st.integers(1, 5_000).map(lambda n: ",".join(f"bad{i}" for i in range(n))),
)
PAIRS = st.lists(st.tuples(st.one_of(st.sampled_from(KEYS + ["arch", "probe", "utm_source"]), st.text(max_size=8)),
                           VALUES), max_size=8)


def assert_affordable(cfg: RunConfig) -> None:
    """An accepted config is within the server's limits, recomputed here independently of the validator."""
    from nnlib.models.shapes import cnn_layers, totals

    m = cfg.model
    assert len(m.hidden) <= MAX_HIDDEN_LAYERS and len(m.layer_activations) <= MAX_HIDDEN_LAYERS
    n_train = max(1, int((cfg.data.n_samples or cfg.dataset_info["n"] or 1000) * cfg.data.train_frac))
    if m.cnn is not None:
        assert 1 <= len(m.cnn.blocks) <= MAX_CONV_BLOCKS
        outputs = cfg.n_classes if cfg.loss == "cross_entropy" else 1
        params, macs = totals(cnn_layers(m.cnn, cfg.dataset_info["shape"], outputs, activation=m.activation))
    else:
        shape = cfg.dataset_info.get("shape")
        params = macs = mlp_param_count(cfg, int(np.prod(shape)) if shape else len(cfg.data.features))
    assert params <= MAX_PARAMS
    assert 3 * macs * n_train * cfg.train.epochs <= MAX_WORK


def check_config(cfg: RunConfig) -> None:
    """Validation ends in a list of short sentences; an empty list means the run is affordable."""
    problems = cfg.validate()
    assert all(isinstance(p, str) and len(p) < MESSAGE_CHARS for p in problems), problems
    if not problems:
        assert_affordable(cfg)


def check_error(e: ConfigError) -> None:
    assert 1 <= len(e.errors) <= MAX_ERRORS + 1
    assert all(len(x) < MESSAGE_CHARS for x in e.errors), [x[:100] for x in e.errors]


@FUZZ
@given(PAIRS)
def test_share_links_end_in_a_config_and_one_short_notice(pairs):
    for base in (RunConfig(), RunConfig().replace(data={"dataset": "digits"})):
        cfg, notes = lenient_config(pairs, base, page_keys=("arch", "probe"))
        assert isinstance(cfg, RunConfig)
        assert all(isinstance(n, str) for n in notes)
        if notes:
            assert len(notice(notes)) < NOTICE_CHARS, notice(notes)[:200]
        check_config(cfg)
    try:
        cfg = RunConfig.from_query(urlencode(pairs))
    except ConfigError as e:
        check_error(e)
    else:
        check_config(cfg)


JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.sampled_from(NAMES),
                        st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                st.dictionaries(st.text(max_size=6), inner,
                                                                                max_size=3)), max_leaves=10)
FIELDS = {k.split(".")[0]: [] for k in KEYS}
for _key in KEYS:
    FIELDS[_key.split(".")[0]].append(_key.split(".")[1])


@st.composite
def config_texts(draw: st.DrawFn) -> str:
    """JSON shaped like a run config (known and unknown keys, any values, CNN specs), or odd JSON text."""
    config: dict = {}
    for section, names in {**FIELDS, "extra": ["x"]}.items():
        if draw(st.booleans()):
            picked = draw(st.lists(st.sampled_from([*names, "bogus"]), max_size=5, unique=True))
            config[section] = {k: draw(cnn_specs() if k == "cnn" else st.one_of(JSON_VALUES, VALUES)) for k in picked}
    if draw(st.integers(0, 4)) == 0:
        config.setdefault("model", {})["layer_activations"] = draw(
            st.lists(st.sampled_from([*ACTIVATIONS, "", "bad"]), max_size=60))
    text = json.dumps(config)
    odd = st.sampled_from(["[" * 50_000, "[" * 900 + "]" * 900, '{"model": {"cnn": ' + "[" * 2_000 + "}}",
                           '{"train": {"epochs": ' + "9" * 5_000 + "}}", '{"train": {"epochs": ' + "9" * 4_000 + "}}",
                           '{"train": {"lr": NaN, "epochs": 1e308}}', '{"train": {"lr": Infinity}}', "", "null",
                           '{"a": "' + "x" * 40_000 + '"}', "\ufeff{}", '{"data": ' + '{"x": 1, ' * 3 + "}"])
    return draw(st.one_of(st.just(text), st.just(text), odd, st.text(max_size=30)))


@FUZZ
@given(config_texts())
def test_config_json_ends_in_a_config_or_short_sentences(text):
    try:
        cfg = RunConfig.from_json(text)
    except ConfigError as e:
        check_error(e)
    else:
        check_config(cfg)


# ---------- run files ----------

VALID_CFG = RunConfig().replace(train={"epochs": 5})


def run_file(config: str, history: str, status: str, tensors: dict | None = None, fmt: str = "nnlib-run/1",
             extra: dict | None = None) -> bytes:
    from safetensors.numpy import save

    meta = {"format": fmt, "config": config, "history": history, "status": status, **(extra or {})}
    return save(tensors if tensors is not None else {"w": np.zeros(2, np.float32)}, metadata=meta)


HISTORIES = st.one_of(
    st.just(json.dumps({"train_loss": [0.5, 0.4], "val_loss": [0.6, None]})),
    st.dictionaries(st.sampled_from(["train_loss", "val_loss", "weight_norm", "lr", "bogus"]),
                    st.lists(st.one_of(st.floats(), st.integers(), st.none(), st.text(max_size=3)), max_size=8),
                    max_size=3).map(lambda d: json.dumps(d)),
    st.sampled_from(["[" * 50_000, "[" * 2_000, '{"train_loss": [' + "1," * 20 + "1]}", "nope", "", "null",
                     '{"train_loss": [' + "9" * 5_000 + "]}", '{"train_loss": [NaN]}']),
)
STATUSES = st.one_of(
    st.dictionaries(st.sampled_from(["elapsed", "reason", "best_epoch", "status"]),
                    st.one_of(st.floats(), st.integers(), st.text(max_size=5), st.none(), st.just(10**400)),
                    max_size=4).map(lambda d: json.dumps(d)),
    st.sampled_from(["[" * 50_000, "{", '{"elapsed": ' + "9" * 4_000 + "}", '{"elapsed": 1e999}', "7"]))
TENSORS = st.one_of(st.none(), st.just({}), st.just({"w": np.zeros((3, 0), np.float64)}),
                    st.just({"w": np.array([np.nan], np.float32), "b": np.ones(1, np.int8)}))


@st.composite
def run_files(draw: st.DrawFn) -> bytes:
    config = draw(st.one_of(st.just(VALID_CFG.to_json()), config_texts()))
    data = run_file(config, draw(HISTORIES), draw(STATUSES), draw(TENSORS),
                    draw(st.sampled_from(["nnlib-run/1", "nnlib-run/1", "other"])))
    how = draw(st.integers(0, 5))
    if how == 1:  # truncated
        data = data[:draw(st.integers(0, len(data)))]
    elif how == 2:  # a header length that lies
        data = draw(st.integers(0, 2**64 - 1)).to_bytes(8, "little") + data[8:]
    elif how == 3:  # a flipped byte
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
    elif how == 4:
        data = draw(st.binary(max_size=64))
    return data


@FUZZ
@given(run_files(), st.booleans())
def test_run_file_imports_end_in_a_run_or_a_sentence(data, image_page):
    from ui.run_file import ImportedRun, RunFileError, read_run

    try:
        run = read_run(data, image_page)
    except RunFileError as e:
        assert 0 < len(str(e)) < 2 * MESSAGE_CHARS, str(e)[:200]
    else:
        assert isinstance(run, ImportedRun)
        check_config(run.cfg)
