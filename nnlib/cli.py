"""Command line: `python -m nnlib train|validate|list|download` -- the engine without the web UI."""

from __future__ import annotations

import argparse
import json
import math
import os
import stat
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from nnlib.config import ConfigError, RunConfig

if TYPE_CHECKING:
    from nnlib.train.callbacks import History

MAX_CONFIG_BYTES = 1_000_000  # a run config is < 2 KB; 1 MB leaves room for comments-free hand-made ones
MAX_DIGITS = 18  # no setting needs a longer number; Python refuses > 4300 digits with an unexplained ValueError
MAX_THREADS = 256


class UsageError(Exception):
    """A bad argument or an unreadable file: one line on stderr and exit code 2, never a traceback."""


def shown(text: str) -> str:
    """A path or value safe to print on one line of any terminal: control characters (a newline in a file name)
    and bytes that are not UTF-8 (argv holds them as lone surrogates) are shown as escapes."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def read_config_text(path: str) -> str:
    """The text of a config file: only a regular file, at most MAX_CONFIG_BYTES, UTF-8 -- so /dev/zero,
    /dev/urandom, a FIFO or a folder get a sentence instead of a MemoryError, a hang or a traceback."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # O_NONBLOCK: opening a FIFO must not wait for a writer
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {shown(path)}: {getattr(e, 'strerror', None) or e}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UsageError(f"{shown(path)} is not a regular file; give the path of a JSON config file")
    with os.fdopen(fd, "rb") as f:
        try:
            raw = f.read(MAX_CONFIG_BYTES + 1)
        except OSError as e:
            raise UsageError(f"cannot read {shown(path)}: {e.strerror or e}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise UsageError(f"{shown(path)} is larger than {MAX_CONFIG_BYTES:,} bytes; a run config is a small JSON file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UsageError(f"{shown(path)} is not UTF-8 text (byte {e.start} is {raw[e.start]:#04x}); save the config "
                         "as UTF-8 JSON") from None


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number with {len(text.lstrip('-'))} digits; no setting takes more than {MAX_DIGITS}")
    return int(text)


def _finite_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {shown(text[:20])}{'...' if len(text) > 20 else ''} is too large")
    return value


def _no_constant(text: str) -> NoReturn:
    raise ValueError(f"{text} is not a number a setting can take (JSON has no NaN or Infinity)")


def parse_config_json(text: str) -> Any:
    """JSON -> plain data; ConfigError with one sentence for bad syntax, nesting too deep for Python's parser,
    numbers too long for any setting, NaN or Infinity."""
    try:
        return json.loads(text, parse_int=_whole_number, parse_float=_finite_number, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise ConfigError([f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"]) from None
    except RecursionError:
        raise ConfigError(["not a run config: the JSON is nested too deeply"]) from None
    except ValueError as e:
        raise ConfigError([f"not a run config: {e}"]) from None


def _usable_part(data: Any) -> dict[str, Any]:
    """The settings of `data` that RunConfig accepts one by one, so the others can still be validated."""
    if not isinstance(data, dict):
        return {}
    usable: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            try:
                RunConfig.from_dict({section: {key: value}})
            except ConfigError:
                continue
            usable.setdefault(section, {})[key] = value
    return usable


def build_config(data: Any) -> tuple[RunConfig, list[str]]:
    """The config `data` describes and its structural problems (unknown keys, wrong types): every one of them,
    with the rest of the config built anyway so its value problems can be listed too (not just the first)."""
    try:
        return RunConfig.from_dict(data), []
    except ConfigError as e:
        return RunConfig.from_dict(_usable_part(data)), list(e.errors)


def config_problems(path: str, epochs: int | None = None) -> tuple[RunConfig | None, list[str]]:
    """Read, parse and check a config file (epochs overriding train.epochs): the config and every problem."""
    try:
        data = parse_config_json(read_config_text(path))
    except ConfigError as e:
        return None, e.errors
    cfg, problems = build_config(data)
    if epochs is not None:
        cfg = cfg.replace(train={"epochs": epochs})
    return cfg, problems + cfg.validate()


def cmd_validate(args: argparse.Namespace) -> int:
    _, problems = config_problems(args.config)
    name = shown(args.config)
    if problems:
        print(f"{name}: {len(problems)} problem(s)")
        for p in problems:
            print(f"  - {shown(p)}")
        return 1
    print(f"{name}: OK")
    return 0


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as null: a diverged run's history.json must still be valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def write_history(history: History, out: str) -> None:
    """history.json: every epoch's full record (per-layer norms included); history.csv: the scalar columns, read
    and formatted exactly as the live snapshots and the pages' History (CSV) download read them."""
    from nnlib.inspect.snapshot import history_columns
    from nnlib.train.callbacks import columns_csv

    with open(os.path.join(out, "history.json"), "w", encoding="utf-8") as f:
        json.dump(json_safe(history.records), f, indent=1, allow_nan=False)
    with open(os.path.join(out, "history.csv"), "w", newline="", encoding="utf-8") as f:
        f.write(columns_csv(history_columns(history.records, history.columns)))


def writable_folder(path: str, option: str) -> str:
    """`path` as a folder this process can write into, created if missing -- checked before any work, so a file
    in its way or a read-only place is one sentence naming the option instead of a traceback halfway through."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"cannot use {option} {shown(path)}: it is a file, not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot use {option} {shown(path)}: {getattr(e, 'strerror', None) or e}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"cannot use {option} {shown(path)}: the folder is not writable")
    return path


def make_trainer(cfg: RunConfig, callbacks: list[Any], threads: int | None) -> Any:
    """A torch-free FastRun when the run qualifies (a plain MLP on the fast path: `import torch` is most of a
    short run's time), else the torch Trainer; the same history and weights either way."""
    from nnlib.data.bundle import load_data
    from nnlib.train.fast_run import FastRun, torch_free_layers

    data = load_data(cfg)
    layers = torch_free_layers(cfg, data, callbacks)
    if layers is not None:
        return FastRun(cfg, data, layers, callbacks)
    import torch

    from nnlib.train.trainer import Trainer

    if threads:
        torch.set_num_threads(threads)
    return Trainer(cfg, data, callbacks=callbacks)


def cmd_train(args: argparse.Namespace) -> int:
    cfg, problems = config_problems(args.config, args.epochs)
    if cfg is None or problems:
        print(f"invalid config {shown(args.config)}:\n" + "\n".join(f"  - {shown(p)}" for p in problems),
              file=sys.stderr)
        return 2
    out = writable_folder(args.out or os.path.join("runs", os.path.splitext(os.path.basename(args.config))[0]),
                          "--out")
    from nnlib.data.errors import DataError
    from nnlib.train.callbacks import Checkpoint, Progress

    try:
        trainer = make_trainer(cfg, [Progress(cfg.train.epochs, verbose=not args.quiet), Checkpoint(out)],
                               args.threads)
    except DataError as e:
        print(f"cannot load the data: {shown(str(e))}", file=sys.stderr)
        return 3
    print(f"training on {trainer.device} ({'fast MLP path' if trainer.fast else 'autograd path'})")
    trainer.run()
    try:
        write_history(trainer.history, out)
        with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
            f.write(cfg.to_json())
    except OSError as e:
        raise UsageError(f"cannot write into --out {shown(out)}: {e.strerror or e}") from None
    last = trainer.history.records[-1] if trainer.history.records else {}
    summary = {k: last[k] for k in ("epoch", "train_loss", "val_loss", "val_accuracy", "test_accuracy",
                                    "val_rmse", "test_rmse") if k in last}
    print(f"{trainer.status}: {trainer.stop_reason}")
    print(json.dumps(summary))
    print(f"wrote {shown(out)}/history.json, history.csv, model.safetensors")
    return 0 if trainer.status in ("finished", "early_stopped") else 1


def registries() -> dict[str, Any]:
    from nnlib.activations import ACTIVATIONS
    from nnlib.data.catalog import DATASETS
    from nnlib.initializers import INITIALIZERS
    from nnlib.losses import LOSSES
    from nnlib.optimizers import OPTIMIZERS
    from nnlib.regularization import REGULARIZERS
    from nnlib.schedules import SCHEDULES

    tables = {"datasets": DATASETS, "activations": ACTIVATIONS, "initializers": INITIALIZERS, "losses": LOSSES,
              "optimizers": OPTIMIZERS, "schedules": SCHEDULES, "regularizers": REGULARIZERS}
    return {name: reg.to_json() for name, reg in tables.items()}


def cmd_list(args: argparse.Namespace) -> int:
    regs = registries()
    if args.json:
        print(json.dumps(regs, indent=1, default=str))
        return 0
    for kind, entries in regs.items():
        print(f"{kind}:")
        for e in entries:
            print(f"  {e['name']:<16} {e['description']}" + (f"  [{e['formula']}]" if e["formula"] else ""))
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from nnlib.data.errors import DataError
    from nnlib.data.images import download

    root = writable_folder(args.root, "--root")
    try:
        path = download(args.name, root)
    except DataError as e:
        print(shown(str(e)), file=sys.stderr)
        return 3
    except OSError as e:
        raise UsageError(f"cannot download {args.name} into {shown(root)}: {e.strerror or e}") from None
    print(f"{args.name} is ready in {shown(str(path))}")
    return 0


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument on one line (its default adds the usage text) and exits with 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {shown(message)}\n")


def thread_count(text: str) -> int:
    """--threads: a whole number of CPU threads, 1 to MAX_THREADS (torch raises on 0 or less)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of threads, got {text[:20]!r}") from None
    if not 1 <= n <= MAX_THREADS:
        raise argparse.ArgumentTypeError(f"{n} threads; use 1 to {MAX_THREADS}")
    return n


def epoch_count(text: str) -> int:
    """--epochs: a whole number; its range is checked with the config's own bounds (so 0 is refused, not ignored)."""
    try:
        return _whole_number(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of epochs, got {text[:20]!r}") from None


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser(prog="python -m nnlib", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train from a JSON run config")
    t.add_argument("--config", required=True)
    t.add_argument("--out", help="output folder (default runs/<config name>)")
    t.add_argument("--epochs", type=epoch_count, help="override train.epochs")
    t.add_argument("--threads", type=thread_count, help=f"torch CPU threads (1 to {MAX_THREADS})")
    t.add_argument("--quiet", action="store_true", help="only the progress bar, no per-epoch lines")
    t.set_defaults(fn=cmd_train)
    v = sub.add_parser("validate", help="print every problem of a config; exit 1 if any")
    v.add_argument("--config", required=True)
    v.set_defaults(fn=cmd_validate)
    ls = sub.add_parser("list", help="list every registry (datasets, activations, ...)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(fn=cmd_list)
    d = sub.add_parser("download", help="download a torchvision dataset into data/ (needs internet)")
    d.add_argument("name", choices=["mnist", "fashion_mnist", "kmnist", "cifar10"])
    d.add_argument("--root", default=os.environ.get("NNLIB_DATA_DIR", "data"))
    d.set_defaults(fn=cmd_download)
    args = p.parse_args(argv)
    try:
        return int(args.fn(args))
    except UsageError as e:
        print(f"{p.prog} {args.cmd}: {e}", file=sys.stderr)
        return 2
