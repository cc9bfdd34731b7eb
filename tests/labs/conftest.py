"""The labs' computations are small: one torch thread keeps them from spin-waiting on a shared 2-core machine
(1000 tiny forward passes took 7 s with two threads under load, 0.3 s with one)."""

import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
