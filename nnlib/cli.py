"""Command line: `python -m nnlib train|validate|list|download` -- the engine without the web UI."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from nnlib.config import ConfigError, RunConfig

if TYPE_CHECKING:
    from nnlib.train.callbacks import History


def _load_config(path: str) -> RunConfig:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError([f"cannot read {path}: {e.strerror}"]) from None
    return RunConfig.from_json(text)


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        cfg = _load_config(args.config)
        problems = cfg.validate()
    except ConfigError as e:
        problems = e.errors
    if problems:
        print(f"{args.config}: {len(problems)} problem(s)")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"{args.config}: OK")
    return 0


def write_history(history: History, out: str) -> None:
    """history.json: every epoch's full record (per-layer norms included); history.csv: the scalar columns, read
    and formatted exactly as the live snapshots and the pages' History (CSV) download read them."""
    from nnlib.inspect.snapshot import history_columns
    from nnlib.train.callbacks import columns_csv

    with open(os.path.join(out, "history.json"), "w", encoding="utf-8") as f:
        json.dump(history.records, f, indent=1)
    with open(os.path.join(out, "history.csv"), "w", newline="", encoding="utf-8") as f:
        f.write(columns_csv(history_columns(history.records, history.columns)))


def cmd_train(args: argparse.Namespace) -> int:
    try:
        cfg = _load_config(args.config)
        if args.epochs:
            cfg = cfg.replace(train={"epochs": args.epochs})
        cfg.checked()
    except ConfigError as e:
        print("invalid config:\n" + "\n".join(f"  - {p}" for p in e.errors), file=sys.stderr)
        return 2
    import torch

    from nnlib.data.errors import DataError
    from nnlib.train.callbacks import Checkpoint, Progress
    from nnlib.train.trainer import Trainer

    torch.set_num_threads(args.threads or torch.get_num_threads())
    out = args.out or os.path.join("runs", os.path.splitext(os.path.basename(args.config))[0])
    os.makedirs(out, exist_ok=True)
    try:
        trainer = Trainer(cfg, callbacks=[Progress(cfg.train.epochs, verbose=not args.quiet), Checkpoint(out)])
    except DataError as e:
        print(f"cannot load the data: {e}", file=sys.stderr)
        return 3
    print(f"training on {trainer.device} ({'fast MLP path' if trainer.fast else 'autograd path'})")
    trainer.run()
    write_history(trainer.history, out)
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        f.write(cfg.to_json())
    last = trainer.history.records[-1] if trainer.history.records else {}
    summary = {k: last[k] for k in ("epoch", "train_loss", "val_loss", "val_accuracy", "test_accuracy",
                                    "val_rmse", "test_rmse") if k in last}
    print(f"{trainer.status}: {trainer.stop_reason}")
    print(json.dumps(summary))
    print(f"wrote {out}/history.json, history.csv, model.safetensors")
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

    try:
        path = download(args.name, args.root)
    except DataError as e:
        print(str(e), file=sys.stderr)
        return 3
    print(f"{args.name} is ready in {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m nnlib", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train from a JSON run config")
    t.add_argument("--config", required=True)
    t.add_argument("--out", help="output folder (default runs/<config name>)")
    t.add_argument("--epochs", type=int, help="override train.epochs")
    t.add_argument("--threads", type=int, help="torch CPU threads")
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
    return int(args.fn(args))
