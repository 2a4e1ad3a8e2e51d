import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of data/ for tests that break parameter files."""
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    return dest
