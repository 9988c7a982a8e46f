import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """32² tensors: extra threads only add synchronisation (and spin badly on a shared CPU)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
