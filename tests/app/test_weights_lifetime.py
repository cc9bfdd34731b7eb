"""Issue 9 item 1's last sentence on the page side: the server drops a finished job's weights NNLIB_RESULT_TTL after
it ends, and the Images & CNNs page must not keep its own copy (the model it rebuilt for predictions) past that."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

PAGE = os.path.join(os.path.dirname(__file__), "..", "..", "pages", "cnn.py")


def test_the_rebuilt_model_goes_when_the_jobs_weights_have_gone() -> None:
    at = AppTest.from_file(PAGE, default_timeout=90)
    # what a session holds after predicting with a finished run, whose job the server has since dropped (weights
    # first, then the job): the page finds no weights for it any more
    at.session_state["cnn.model"] = ("an-old-job", bytearray(2**20))
    at.session_state["job_cnn"] = "an-old-job"
    at.run()
    assert not at.exception
    assert "cnn.model" not in at.session_state
