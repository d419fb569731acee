import os
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
# The modules the tests share with scripts/: the model registry, TFLite's reference, runtimes.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from runtimes import ROOT  # noqa: E402

SHARED = ROOT.parent / "shared" / "models" / "mlperf_tiny"

# What the emulated boards keep between CLI sessions goes to a folder of this test run, never
# to the checkout's build/boards/ (inherited by the CLI processes the tests start); each test
# starts with empty boards (board_state).
os.environ["TINYML_BOARD_STATE"] = tempfile.mkdtemp(prefix="tinyml-boards-")


@pytest.fixture(autouse=True)
def _fresh_boards(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYML_BOARD_STATE", str(tmp_path_factory.mktemp("boards")))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
