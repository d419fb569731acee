import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from runtimes import ROOT  # noqa: E402

SHARED = ROOT.parent / "shared" / "models" / "mlperf_tiny"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
