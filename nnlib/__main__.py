"""Entry point of `python -m nnlib`.

Once the command has returned, the process ends without the interpreter's teardown: tearing down numba's (and
torch's) modules and objects costs ~0.4 CPU-seconds, a third of a 200-epoch CLI run from start to exit, and
frees nothing the OS would not. The exit handlers still run (atexit: logging's flush, temporary files' cleanup...)
and the output is flushed first, so what a command prints and writes, and its exit code, are unchanged
(tests/nnlib/test_cli_exit.py). An exception or a usage error (SystemExit) leaves the ordinary way.
"""

import atexit
import os
import sys

from nnlib.cli import main


def exit_now(code: int) -> None:
    """Run the exit handlers, flush stdout and stderr, and end the process with `code` (120 when the output could
    not be written, as Python itself exits then)."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: the output is lost either way
            code = code or 120
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
