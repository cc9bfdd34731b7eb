"""numba without scipy.linalg: a third of a torch-free run's cold start, for code no kernel here calls.

numba's first compilation or cache load in a process imports its array-maths implementations
(`numba.np.arraymath`), and that module's import probes for BLAS by importing `scipy.linalg.cython_blas` -- scipy's
linear algebra, its array-API layer and `numpy.f2py`: 0.3 s on a quiet 2-core box, 0.9 s under load, of the CLI's
~1 s. The probe's answer is used only when numba compiles an inner product of two float arrays for `np.cov`,
`np.corrcoef` and similar (a BLAS dot, else a plain loop); the fast path's kernels (`fast_kernel`, `fast_eval`,
`batch_order`, `batched_*`) call none of them, and `np.dot`/`@` in numba still find BLAS through their own check,
which imports scipy when such code is compiled. `skip_blas_probe` imports `numba.np.arraymath` once with the probe
answering "no BLAS"; the kernels' compiled code -- and so every result -- is unchanged (tests/train/test_lean_numba.py).
"""

from __future__ import annotations

import sys


def skip_blas_probe() -> bool:
    """Import numba's array maths without its scipy probe; True if that happened, False when it could not matter
    or could not be done (scipy already imported, the module already imported, a numba without this probe)."""
    if "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return False
    try:
        from numba.np import linalg
    except ImportError:
        return False
    probe = getattr(linalg, "ensure_blas", None)
    if not callable(probe):
        return False

    def no_blas() -> None:
        raise ImportError("BLAS probe skipped: no fast-path kernel uses numba's BLAS inner products")

    linalg.ensure_blas = no_blas
    try:
        import numba.np.arraymath as arraymath
    finally:
        linalg.ensure_blas = probe
    if getattr(arraymath, "ensure_blas", None) is no_blas:
        arraymath.ensure_blas = probe  # any later call in that module checks for real
    return True
