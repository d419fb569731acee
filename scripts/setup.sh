#!/usr/bin/env bash
# Set up everything `make demo` and `make test` need. Idempotent: each step skips what is
# already done, so a second run takes seconds.
#
#   1. Debian packages (only the missing ones)
#   2. .venv with the host package (editable) and its test dependencies
#   3. MicroPython v1.25.0 source and mpy-cross (cached in ~/.cache/tinyml, outside the repo)
#   4. build/unix/micropython: unix port with tinyml compiled in and device/ frozen in
#   5. build/natmod/x64/tinyml.mpy: the same C core as a native module, and
#      build/unix-stock/micropython, a unix port without tinyml to load it into; the x64 module
#      once more without floats (as armv6m is built), and the MCU modules
#      build/natmod/{armv6m,armv7m,armv7emsp,rv32imc,xtensa}/tinyml.mpy
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc 2>/dev/null || echo 2)
say() { echo "setup: $*" >&2; }
# MicroPython's version header script warns on every build of a tree without git tags.
quiet() { grep -v '^makeversionhdr.py: Warning' || true; }

# 1. Debian packages
need=()
for p in gcc make libffi-dev pkg-config python3-venv xz-utils valgrind \
         gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf \
         picolibc-riscv64-unknown-elf gcc-xtensa-lx106 \
         picolibc-xtensa-lx106-elf qemu-system-arm qemu-system-misc clang \
         cmake g++ nodejs socat; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 2. Python environment: reinstall only when the package definition or the C sources change.
[ -x .venv/bin/python ] || { say "creating .venv"; python3 -m venv .venv; }
stamp=.venv/.tinyml-install
want=$(cat pyproject.toml setup.py host_tools/cpython/*.c native_modules/tinyml/include/*.h \
        native_modules/tinyml/include/*.def native_modules/tinyml/src/*.[ch] \
        native_modules/tinyml/src/kernels/*.[ch] native_modules/tinyml/src/ops/*.c \
        native_modules/tinyml/src/frontend/*.[ch] native_modules/tinyml/src/motion/*.[ch] |
        sha256sum)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the host package into .venv"
    log=build/pip-install.log
    mkdir -p build
    if ! { .venv/bin/python -m pip install -q --upgrade pip setuptools wheel &&
           .venv/bin/python -m pip install -q --no-build-isolation -e ".[dev,quantize]"; } >"$log" 2>&1 ||
       ! .venv/bin/python -c "import _tinyml, tinyml_tools"; then
        cat "$log" >&2
        say "host package install failed"
        exit 1
    fi
    echo "$want" > "$stamp"
fi

# Frozen modules: the ports regenerate frozen_content.c when their top manifest changes, not
# when a file it includes (device/manifest.py, a device module) does, nor when the binding's
# qstrs change (tinyml_mp.c, the build switches of tml_config.h), which it numbers too; drop the
# stale ones.
if [ -d build ]; then
    while read -r f; do
        if [ -n "$(find device boards -name '*.py' -newer "$f" | head -1)" ] ||
           [ -n "$(find native_modules/micropython/tinyml_mp.c \
                   native_modules/tinyml/include/tml_config.h -newer "$f" | head -1)" ]; then
            rm -f "$f"
        fi
    done < <(find build -name frozen_content.c)
fi

# 3. MicroPython source and mpy-cross
MP=$(scripts/micropython-source.sh)
make -s -C "$MP/mpy-cross" -j"$JOBS" >/dev/null 2> >(quiet >&2)

# 4. Unix port with tinyml (make itself skips what is up to date)
LIBDIR=$(scripts/micropython-lib-dir.sh "$MP")
make -s -C "$MP/ports/unix" -j"$JOBS" MPY_LIB_DIR="$LIBDIR" \
    BUILD="$ROOT/build/unix/obj" \
    USER_C_MODULES="$ROOT/native_modules" \
    FROZEN_MANIFEST="$ROOT/boards/unix/manifest.py" \
    PROG=micropython-tinyml MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 >/dev/null 2> >(quiet >&2)
mkdir -p build/unix
if [ ! build/unix/micropython -nt build/unix/obj/micropython-tinyml ]; then
    cp -p build/unix/obj/micropython-tinyml build/unix/micropython
fi

# 4b. A stock unix port (no tinyml inside) to load the native module into, as users do
make -s -C "$MP/ports/unix" -j"$JOBS" MPY_LIB_DIR="$LIBDIR" \
    BUILD="$ROOT/build/unix-stock/obj" FROZEN_MANIFEST= \
    PROG=micropython-stock MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 >/dev/null 2> >(quiet >&2)
if [ ! build/unix-stock/micropython -nt build/unix-stock/obj/micropython-stock ]; then
    cp -p build/unix-stock/obj/micropython-stock build/unix-stock/micropython
fi

# 5. Native modules: x64 (tested on the stock unix port), x64 without floats (the code path of
#    the armv6m module, tested the same way), and the MCU architectures
natmod() { make -s -C native_modules/micropython MPY_DIR="$MP" \
    PYTHON="$ROOT/.venv/bin/python" "$@" >/dev/null; }
natmod ARCH=x64
natmod ARCH=x64 OUT=../../build/natmod/x64-nofloat TML_CFLAGS=-DTML_HAS_FLOAT=0
for arch in armv6m armv7m armv7emsp rv32imc xtensa; do
    natmod ARCH="$arch"
done
# the front-ends' own module (_tinyml_fe.mpy) for the cores with floats
for arch in x64 armv7m armv7emsp rv32imc; do
    natmod ARCH="$arch" PART=fe
done
# 5b. The kernel differential test (tests/c/kernel_check.c: fast kernels against the reference
#     ones) as a native module per core, build/kernel_check/<arch>/kernel_check.mpy, which
#     tests/kernels/test_kernel_diff.py runs on each emulated board's stock firmware
for arch in x64 armv6m armv7m armv7emsp rv32imc; do
    make -s -C tests/c/natmod MPY_DIR="$MP" PYTHON="$ROOT/.venv/bin/python" ARCH="$arch" >/dev/null
done
# 6. Firmware for the emulated boards (boards/qemu/): the qemu port with tinyml
#    compiled in and device/ frozen
#    (build/qemu/<core>), and stock firmware without tinyml to load the native modules into
#    (build/qemu/<core>-stock)
BOARDS="$ROOT/boards/qemu"
RV32=(RV32_ARCH=rv32imac CFLAGS_EXTRA=-march=rv32imac_zicsr
      "AFLAGS=-mabi=ilp32 -march=rv32imac_zicsr")
for b in m3:QEMU_M3 m4:QEMU_M4 m7:QEMU_M7 rv32:QEMU_RV32; do
    core=${b%%:*} board=${b#*:}
    extra=(); [ "$core" = rv32 ] && extra=("${RV32[@]}")
    # make does not track flags or paths: a changed board definition, or a build made from
    # another board folder (.tinyml-config: the one it was built from), rebuilds that board
    # from scratch
    for d in "build/qemu/$core" "build/qemu/$core-stock"; do
        if [ -d "$d" ] && [ "$(cat "$d/.tinyml-config" 2>/dev/null)" != "$BOARDS/$board" ]; then
            rm -rf "$d"
        fi
        if [ -f "$d/firmware.elf" ] && [ -n "$(find "$BOARDS/$board" "$BOARDS"/*.[ch] "$BOARDS"/*.ld \
                -newer "$d/firmware.elf" 2>/dev/null)" ]; then
            rm -rf "$d"
        fi
    done
    make -s -C "$MP/ports/qemu" -j"$JOBS" BOARD="$board" BOARD_DIR="$BOARDS/$board" \
        MPY_LIB_DIR="$LIBDIR" BUILD="$ROOT/build/qemu/$core" "${extra[@]}" \
        USER_C_MODULES="$ROOT/native_modules" FROZEN_MANIFEST="$BOARDS/manifest.py" \
        >/dev/null 2> >(quiet >&2)
    make -s -C "$MP/ports/qemu" -j"$JOBS" BOARD="$board" BOARD_DIR="$BOARDS/$board" \
        MPY_LIB_DIR="$LIBDIR" BUILD="$ROOT/build/qemu/$core-stock" "${extra[@]}" \
        FROZEN_MANIFEST="$BOARDS/manifest_stock.py" >/dev/null 2> >(quiet >&2)
    for d in "build/qemu/$core" "build/qemu/$core-stock"; do
        echo "$BOARDS/$board" > "$d/.tinyml-config"
    done
done

# 7. Raspberry Pi Pico firmware (build/rp2/{RPI_PICO,RPI_PICO2,RPI_PICO-stock}/firmware.uf2,
#    cached by build_rp2.sh itself) and the RP2040 emulator (rp2040js from npm, pinned by
#    boards/rp2040-emulator/package-lock.json) that the Pico tests boot it on.
scripts/build_rp2.sh >/dev/null
pico=boards/rp2040-emulator
if [ ! -f "$pico/node_modules/.package-lock.json" ] ||
   [ "$pico/package-lock.json" -nt "$pico/node_modules/.package-lock.json" ]; then
    say "installing the RP2040 emulator (npm ci)"
    (cd "$pico" && npm ci --silent --no-audit --no-fund >/dev/null)
fi
say "ready: build/unix/micropython, build/natmod/*/tinyml.mpy, build/unix-stock/micropython," \
    "build/qemu/{m3,m4,m7,rv32}{,-stock}/firmware.elf, build/rp2/*/firmware.uf2"
