"""Builds the host simulator: the tinyml C core as the CPython extension `_tinyml`, and puts
the device API's type stubs (device/*.pyi) beside their modules in the wheel, where editors
find them (setuptools carries package data for packages only, and the device API is
top-level modules). Everything else about the package is declared in pyproject.toml."""

import shutil
from glob import glob
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildWithStubs(build_py):
    def run(self) -> None:
        super().run()
        for stub in sorted(Path("device").glob("*.pyi")):
            shutil.copy(stub, Path(self.build_lib) / stub.name)


CORE = "native_modules/tinyml"

setup(
    cmdclass={"build_py": BuildWithStubs},
    ext_modules=[
        Extension(
            "_tinyml",
            sources=["host_tools/cpython/_tinyml_module.c"]
            + sorted(glob(f"{CORE}/src/*.c"))
            + sorted(glob(f"{CORE}/src/kernels/*.c"))
            + sorted(glob(f"{CORE}/src/ops/*.c"))
            + sorted(glob(f"{CORE}/src/frontend/*.c"))
            + sorted(glob(f"{CORE}/src/motion/*.c")),
            include_dirs=[f"{CORE}/include", f"{CORE}/src", f"{CORE}/src/kernels",
                          f"{CORE}/src/frontend", f"{CORE}/src/motion"],
            extra_compile_args=["-std=c99", "-O3", "-Wall", "-Wextra"],
        )
    ]
)
