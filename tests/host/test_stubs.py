"""The device API's type stubs (device/*.pyi, for editors: VS Code, Thonny, mypy) say exactly
what the modules define (issue 17): every public class, function and method in both, with the
same parameter names, kinds and defaults' presence; and a built wheel installs each stub beside
its module."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from runtimes import ROOT

MODULES = sorted(p.stem for p in (ROOT / "device").glob("*.pyi"))


def _stub_api(path: Path) -> dict[str, list[tuple[str, bool]] | None]:
    """name (or Class.method) -> [(parameter, has default)] for functions, None for others."""
    api: dict[str, list[tuple[str, bool]] | None] = {}

    def params(f: ast.FunctionDef) -> list[tuple[str, bool]]:
        a = f.args
        pos = [*a.posonlyargs, *a.args]
        defaults = [False] * (len(pos) - len(a.defaults)) + [True] * len(a.defaults)
        out = [(p.arg, d) for p, d in zip(pos, defaults, strict=True)]
        out += [(p.arg, d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults,
                                                          strict=True)]
        out += [(p.arg, False) for p in (a.vararg, a.kwarg) if p is not None]
        return [p for p in out if p[0] != "self"]

    body = ast.parse(path.read_text()).body
    classes = {c.name: c for c in body if isinstance(c, ast.ClassDef)}

    def methods(c: ast.ClassDef) -> dict[str, list[tuple[str, bool]] | None]:
        """A class's methods with those its stub bases declare (a subclass in the module
        may override them)."""
        out: dict[str, list[tuple[str, bool]] | None] = {}
        for b in c.bases:
            if isinstance(b, ast.Name) and b.id in classes:
                out |= {k: v for k, v in methods(classes[b.id]).items() if k != "__init__"}
        for m in c.body:
            if isinstance(m, ast.FunctionDef) and (not m.name.startswith("_")
                                                   or m.name == "__init__"):
                is_prop = any(isinstance(d, ast.Name) and d.id == "property"
                              for d in m.decorator_list)
                out[m.name] = None if is_prop else params(m)
        return out

    for node in body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            api[node.name] = params(node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            api[node.name] = None
            api |= {f"{node.name}.{m}": sig for m, sig in methods(node).items()}
    return api


def _module_api(name: str) -> dict[str, list[tuple[str, bool]] | None]:
    mod = importlib.import_module(name)
    api: dict[str, list[tuple[str, bool]] | None] = {}

    def params(f: object) -> list[tuple[str, bool]]:
        return [(p.name, p.default is not inspect.Parameter.empty)
                for p in inspect.signature(f).parameters.values() if p.name != "self"]

    for key, obj in vars(mod).items():
        if key.startswith("_") or getattr(obj, "__module__", None) != name:
            continue
        if inspect.isfunction(obj):
            api[key] = params(obj)
        elif inspect.isclass(obj):
            api[key] = None
            for m, v in vars(obj).items():
                if m.startswith("_") and m != "__init__":
                    continue
                if isinstance(v, property):
                    api[f"{key}.{m}"] = None
                elif isinstance(v, staticmethod):
                    api[f"{key}.{m}"] = params(v.__func__)
                elif inspect.isfunction(v):
                    api[f"{key}.{m}"] = params(v)
    return api


@pytest.mark.parametrize("name", MODULES)
def test_stub_matches_the_module(name: str) -> None:
    stub, real = _stub_api(ROOT / f"device/{name}.pyi"), _module_api(name)
    # NamedTuples and aliases the stub declares for types only are not required in the module.
    missing = sorted(set(real) - set(stub))
    assert not missing, f"{name}.pyi lacks {missing}"
    for key, sig in stub.items():
        if key in real:
            assert sig == real[key], f"{name}.{key}: stub {sig} != module {real[key]}"
    mod = importlib.import_module(name)
    extra = sorted(k for k in set(stub) - set(real) if "." in k and k.split(".")[0] in real
                   and not hasattr(getattr(mod, k.split(".")[0]), k.split(".")[1]))
    assert not extra, f"{name}.pyi declares methods the module does not have: {extra}"


def test_the_wheel_installs_the_stubs(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                        "--no-build-isolation", "-q", "-w", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    (wheel,) = tmp_path.glob("tinyml-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for m in MODULES:
        assert {f"{m}.py", f"{m}.pyi"} <= names, m
