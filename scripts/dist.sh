#!/bin/sh
# make dist: what a user installs without building anything.
#   build/dist/tinyml-<version>-*.whl  the host package with the native module of every
#       architecture, the unix port and the Pico / Pico 2 firmware inside it as package data
#       (tinyml_tools/data/, found by tinyml_tools.boards.devices.artifact), and the device
#       API's type stubs;
#   build/dist/micropython_tinyml_stubs-<version>-*.whl  the device API's type stubs alone, as
#       a stub-only package (scripts/stubs_wheel.py) for editors (VS Code, Thonny, mypy);
#   build/dist/mip/  a static mip index: <arch>/package.json with tinyml.mpy and the device
#       package's Python files beside it, and package.json with the device API alone (for
#       firmware with tinyml compiled in). Any static web server serves it:
#       mpremote mip install http://HOST/PATH/armv7emsp/package.json
# Needs `make setup` first (the artifacts come from build/).
set -eu
cd "$(dirname "$0")/.."
py=.venv/bin/python
data=host_tools/tinyml_tools/data
rm -rf "$data" build/dist build/lib*/tinyml_tools/data
trap 'rm -rf "$data"' EXIT
for m in build/natmod/*/tinyml.mpy build/natmod/*/_tinyml_fe.mpy; do  # the front-ends' too
    arch=$(basename "$(dirname "$m")")
    mkdir -p "$data/natmod/$arch" && cp "$m" "$data/natmod/$arch/"
done
mkdir -p "$data/unix" && cp build/unix/micropython "$data/unix/"
for b in RPI_PICO RPI_PICO2; do
    mkdir -p "$data/rp2/$b" && cp "build/rp2/$b/firmware.uf2" "$data/rp2/$b/"
done
mkdir -p build/dist
$py -m pip wheel . --no-deps --no-build-isolation -q -w build/dist
$py scripts/stubs_wheel.py build/dist >/dev/null
$py scripts/mip_index.py build/dist/mip
echo "dist: $(ls build/dist/*.whl | tr '\n' ' ')and build/dist/mip/ ($(ls build/dist/mip | tr '\n' ' '))"
