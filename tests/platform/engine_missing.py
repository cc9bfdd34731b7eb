"""An engine module that cannot be imported, as nnlib.train.job cannot when torch's native libraries are missing."""

from __future__ import annotations

raise ImportError("libtorch_cuda.so: cannot open shared object file: No such file or directory")
