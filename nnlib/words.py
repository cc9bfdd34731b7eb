"""Numbers in sentences a student reads: "1 epoch", "2 epochs", "10,000 epochs". A finished one-epoch run said
"all 1 epochs done"; every count in a message goes through `count`, so none says "1 jobs" or "1 weights"."""

from __future__ import annotations


def count(n: float, noun: str, plural: str | None = None) -> str:
    """`n` (a whole number, thousands separated) and the noun in the number it takes: singular for exactly 1,
    `plural` (default noun + "s") otherwise -- 0 too ("0 epochs")."""
    whole = int(n)
    return f"{whole:,} {noun if whole == 1 else plural or noun + 's'}"


def all_done(epochs: int) -> str:
    """Why a run that trained every epoch it was asked for ended: "all 40 epochs done", "the 1 epoch is done"."""
    return "the 1 epoch is done" if epochs == 1 else f"all {count(epochs, 'epoch')} done"
