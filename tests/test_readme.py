"""The README's two commands are the ones that exist and the ones CI runs."""

import re

from runtimes import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Two commands\n\n```sh\n(.*?)```", text, re.S)
    assert block, "README needs a '## Two commands' sh block"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_has_demo_and_test_commands() -> None:
    assert readme_commands() == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci/run").read_text().splitlines()
    steps = [s.strip() for s in ci if s.strip() and not s.lstrip().startswith("#")]
    assert readme_commands()[1] in steps


def test_make_targets_exist() -> None:
    mk = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", mk, re.M)
