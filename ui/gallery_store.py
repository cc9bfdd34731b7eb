"""Test images of the datasets the pages have shown, so the live route can draw a CNN run's mistakes gallery: it
only gets the snapshot, which holds test indices. Keyed by a short data key the page passes in the poll options."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

_images: OrderedDict[str, tuple[np.ndarray, list[str]]] = OrderedDict()
_images_lock = threading.Lock()


def register_test_images(data_key: str, images: np.ndarray, class_names: list[str]) -> None:
    """Remember the uint8 test images [n, C, H, W] and class names of a dataset (bounded LRU)."""
    with _images_lock:
        _images[data_key] = (images, list(class_names))
        _images.move_to_end(data_key)
        while len(_images) > 16:
            _images.popitem(last=False)


def known_test_images(data_key: str) -> tuple[np.ndarray | None, list[str]]:
    with _images_lock:
        found = _images.get(data_key)
    return found if found is not None else (None, [])
