"""Errors of data loading, with messages meant for the student (what is wrong and how to fix it)."""


class DataError(ValueError):
    """Data that cannot be loaded or parsed; the message is shown to the user as is."""


class DatasetUnavailable(DataError):
    """A dataset that is not on disk and cannot be downloaded here (offline)."""
