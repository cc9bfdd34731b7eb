"""The fast path loads its kernels without importing scipy.linalg (nnlib.train.lean_numba), and numba's BLAS
calls still work afterwards in that process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FRESH_PROCESS = """
import json, sys
import numpy as np
from nnlib.train import fast_mlp
fast_mlp.warmup()  # loads (or compiles) every kernel of the single-run fast path
after_kernels = "scipy.linalg" in sys.modules
from numba import njit

@njit
def matmul(a, b):
    return np.dot(a, b)

a = np.arange(6, dtype=np.float64).reshape(2, 3)
product = matmul(a, a.T).tolist()
print(json.dumps([after_kernels, product, "scipy.linalg" in sys.modules]))
"""


def test_kernels_load_without_scipy_linalg_and_blas_still_works() -> None:
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS], cwd=ROOT, capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    after_kernels, product, after_dot = json.loads(done.stdout.splitlines()[-1])
    assert after_kernels is False, done.stderr
    assert product == [[5.0, 14.0], [14.0, 50.0]]
    assert after_dot is True  # np.dot compiled through numba's own BLAS check, which imported scipy.linalg


def test_the_probe_is_left_alone_once_numba_has_its_array_maths() -> None:
    from nnlib.train import fast_mlp  # noqa: F401  (imports numba and, in a fresh process, skips the probe)
    from nnlib.train.lean_numba import skip_blas_probe

    assert "numba.np.arraymath" in sys.modules
    assert skip_blas_probe() is False
