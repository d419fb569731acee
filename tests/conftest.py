import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# The modules the tests share with scripts/: the model registry, TFLite's reference, runtimes.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from runtimes import ROOT  # noqa: E402

SHARED = ROOT.parent / "shared" / "models" / "mlperf_tiny"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
