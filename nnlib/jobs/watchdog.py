"""What a worker process costs right now, read from /proc, and the per-job ceilings it is held to.

RLIMIT_AS is useless here (torch reserves gigabytes of address space it never touches), so the manager's drain
thread samples each busy worker's resident memory and CPU time and kills a worker whose job went over its budget.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class JobBudget:
    """Ceilings for one job: CPU-seconds of its worker since the job started, and resident memory in MB."""

    cpu_seconds: float
    memory_mb: float


@dataclass(frozen=True)
class ProcessUsage:
    cpu_seconds: float  # user + system time of the process so far
    rss_mb: float  # resident set size now


def process_usage(pid: int) -> ProcessUsage | None:
    """CPU time and resident memory of a live process (None if it is gone or /proc is not there)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        with open(f"/proc/{pid}/statm", "rb") as f:
            statm = f.read().split()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may contain spaces and parentheses
    try:
        cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14, 15 of stat)
        rss = int(statm[1]) * _PAGE_BYTES / 2**20
    except (IndexError, ValueError):
        return None
    return ProcessUsage(cpu_seconds=cpu, rss_mb=rss)


def usage_of(process: Any) -> ProcessUsage | None:
    """A worker's usage: a local process read from /proc, a remote one (a Ray actor) as it last reported itself."""
    report = getattr(process, "usage", None)
    return report() if callable(report) else process_usage(process.pid or 0)


def over_budget(usage: ProcessUsage, cpu_at_start: float, budget: JobBudget) -> str | None:
    """"cpu" or "memory" when the job has gone over that ceiling, else None."""
    if usage.rss_mb > budget.memory_mb:
        return "memory"
    if usage.cpu_seconds - cpu_at_start > budget.cpu_seconds:
        return "cpu"
    return None


def budget_message(kind: str, budget: JobBudget) -> str:
    """The sentence a student reads on a job the watchdog ended."""
    if kind == "memory":
        return (f"this run needed more than {budget.memory_mb:,.0f} MB of memory, its ceiling on this shared "
                "server, so it was stopped; use a smaller batch, a smaller model or fewer examples")
    return (f"this run used more than {budget.cpu_seconds:,.0f} CPU-seconds, its budget on this shared server, "
            "so it was stopped; use fewer epochs, a bigger batch, a subset of the data or a smaller model")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


DEFAULT_BUDGET = JobBudget(
    cpu_seconds=_env_float("NNLIB_JOB_CPU_SECONDS", 3600.0),  # a 10-minute live run on one thread uses ~600
    memory_mb=_env_float("NNLIB_JOB_MEMORY_MB", 3072.0),  # whole worker RSS; torch + numba alone is ~400 MB
)
