"""Builds the host simulator: the tinyml C core as the CPython extension `_tinyml`.
Everything else about the package is declared in pyproject.toml."""

from glob import glob

from setuptools import Extension, setup

CORE = "native_modules/tinyml"

setup(
    ext_modules=[
        Extension(
            "_tinyml",
            sources=["host_tools/cpython/_tinyml_module.c"]
            + sorted(glob(f"{CORE}/src/*.c"))
            + sorted(glob(f"{CORE}/src/kernels/*.c"))
            + sorted(glob(f"{CORE}/src/ops/*.c")),
            include_dirs=[f"{CORE}/include", f"{CORE}/src", f"{CORE}/src/kernels"],
            extra_compile_args=["-std=c99", "-O3", "-Wall", "-Wextra"],
        )
    ]
)
