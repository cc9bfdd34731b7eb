"""Shared pytest setup: the project root on sys.path (also for spawned workers) and small helpers."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault("NNLIB_ALLOW_DOWNLOAD", "0")  # tests never touch the network
os.environ["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
