#!/usr/bin/env bash
# Build Raspberry Pi Pico firmware with MicroPython's rp2 port:
#   build/rp2/RPI_PICO/firmware.uf2        RP2040, tinyml compiled in, device/ frozen
#   build/rp2/RPI_PICO2/firmware.uf2       RP2350, the same
#   build/rp2/RPI_PICO-stock/firmware.uf2  RP2040 without tinyml, to install the armv6m .mpy on
#
# What the port needs besides MicroPython's own tree comes from Debian trixie, through the
# private apt state of debian-apt.sh, and is cached in ${TINYML_CACHE:-~/.cache/tinyml}/rp2:
# pico-sdk 2.1.1 (the version MicroPython 1.25 expects) and tinyusb from the arch-all binary
# packages pico-sdk-source and tinyusb-source (unpacked, not installed), mbedtls and picotool
# from their source packages. Debian's picotool binary needs a newer glibc than some hosts have,
# so picotool is built here, without USB support (only its ELF-to-UF2 conversion is used).
# Idempotent: a second run only lets make confirm the firmware is up to date.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc 2>/dev/null || echo 2)
CACHE=${TINYML_CACHE:-$HOME/.cache/tinyml}
DEPS=$CACHE/rp2
# Pinned: the firmware must not change under us. mbedtls is not pinned: trixie replaces it with
# each security release and only its 3.6 LTS API matters here (MicroPython's TLS and hashlib).
PICO_SDK_DEB=2.1.1-1
TINYUSB_DEB=0.18.0+dfsg-1
PICOTOOL_DEB=2.1.1+dfsg-1
MBEDTLS_SERIES=3.6

log() { echo "build_rp2: $*" >&2; }
# On failure show the end of a step's log; on success keep quiet.
run_logged() {
    local logfile=$1; shift
    if ! "$@" >"$logfile" 2>&1; then
        tail -n 40 "$logfile" >&2
        log "failed: $* (full log: $logfile)"
        exit 1
    fi
}

MP=$(scripts/micropython-source.sh)
mkdir -p "$DEPS" build/rp2

# 1. Sources from Debian
if [ ! -f "$DEPS/debian/.complete" ] || [ ! -f "$DEPS/mbedtls-src/.complete" ] ||
   [ ! -f "$DEPS/picotool-src/.complete" ]; then
    # shellcheck source=debian-apt.sh
    . scripts/debian-apt.sh
    debian_apt_update
fi

# Download into a fresh folder $DEPS/download/$1, so that the only archives there are these.
download() {
    local dir=$DEPS/download/$1; shift
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && apt-get "${APT[@]}" "$@")
}

if [ ! -f "$DEPS/debian/.complete" ]; then
    log "fetching pico-sdk-source $PICO_SDK_DEB and tinyusb-source $TINYUSB_DEB"
    download debs download "pico-sdk-source=$PICO_SDK_DEB" "tinyusb-source=$TINYUSB_DEB"
    rm -rf "$DEPS/debian.tmp"
    for deb in "$DEPS"/download/debs/*.deb; do
        dpkg -x "$deb" "$DEPS/debian.tmp"
    done
    # The port's Makefile refuses to build without lib/pico-sdk/README.md, which the Debian
    # package leaves out.
    echo "pico-sdk $PICO_SDK_DEB, unpacked from Debian's pico-sdk-source by scripts/build_rp2.sh." \
        > "$DEPS/debian.tmp/usr/src/pico-sdk/README.md"
    touch "$DEPS/debian.tmp/.complete"
    rm -rf "$DEPS/debian"
    mv "$DEPS/debian.tmp" "$DEPS/debian"
fi
SDK=$DEPS/debian/usr/src/pico-sdk
TINYUSB=$DEPS/debian/usr/src/tinyusb

# Only the upstream tarball of a source package, unpacked into $DEPS/<name>-src: Debian's
# patches are packaging, and the mirror may not carry a package's .dsc (picotool's was missing).
fetch_source() {  # name apt-spec upstream-version-prefix
    local name=$1 tarball
    [ -f "$DEPS/$name-src/.complete" ] && return
    log "fetching the source of $2"
    download "$name" source --download-only --tar-only "$2"
    tarball=$(echo "$DEPS/download/$name/${name}_"*.orig.tar.*)
    case $(basename "$tarball") in
        "${name}_$3"*) ;;
        *) log "Debian's $name is now $(basename "$tarball"), not $3*: check it against MicroPython"
           exit 1 ;;
    esac
    rm -rf "$DEPS/$name-src.tmp"
    mkdir -p "$DEPS/$name-src.tmp"
    tar -xf "$tarball" -C "$DEPS/$name-src.tmp" --strip-components=1
    touch "$DEPS/$name-src.tmp/.complete"
    rm -rf "$DEPS/$name-src"
    mv "$DEPS/$name-src.tmp" "$DEPS/$name-src"
}
fetch_source picotool "picotool=$PICOTOOL_DEB" "${PICOTOOL_DEB%%+*}"
fetch_source mbedtls mbedtls "$MBEDTLS_SERIES."

# MicroPython's rp2 port finds pico-sdk, tinyusb and mbedtls only in its own lib/ folder (git
# submodules upstream, empty folders in Debian's source): link them there, unless the tree
# already has its own.
for pair in "pico-sdk:$SDK" "tinyusb:$TINYUSB" "mbedtls:$DEPS/mbedtls-src"; do
    link=$MP/lib/${pair%%:*} target=${pair#*:}
    if [ -L "$link" ] || [ -z "$(ls -A "$link" 2>/dev/null)" ]; then
        rm -rf "$link"
        ln -s "$target" "$link"
    fi
done

# 2. picotool, which the SDK's build uses to turn the ELF into a UF2
if [ ! -f "$DEPS/picotool/lib/cmake/picotool/picotoolConfig.cmake" ]; then
    log "building picotool"
    rm -rf "$DEPS/picotool-build" "$DEPS/picotool"
    run_logged "$DEPS/picotool-build.log" cmake -S "$DEPS/picotool-src" -B "$DEPS/picotool-build" \
        -DPICO_SDK_PATH="$SDK" -DPICOTOOL_NO_LIBUSB=1 -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$DEPS/picotool"
    run_logged "$DEPS/picotool-build.log" cmake --build "$DEPS/picotool-build" -j"$JOBS"
    run_logged "$DEPS/picotool-build.log" cmake --install "$DEPS/picotool-build"
fi

# 3. Firmware. mpy-cross first: a FROZEN_MANIFEST on the rp2 make line would leak into the
# mpy-cross build the port would otherwise start itself.
run_logged build/rp2/mpy-cross.log make -C "$MP/mpy-cross" -j"$JOBS"
LIBDIR=$(scripts/micropython-lib-dir.sh "$MP")
# Extra CMake flags go through the environment: the port's Makefile appends its own to it,
# whereas CMAKE_ARGS on the make line would replace them.
export CMAKE_ARGS="-Dpicotool_DIR=$DEPS/picotool/lib/cmake/picotool -DMICROPY_LIB_DIR=$LIBDIR"
BOARDS=$ROOT/boards/rp2

firmware() {  # name board make-args...
    local name=$1 board=$2 dir=$ROOT/build/rp2/$1 start=$SECONDS config; shift 2
    # The port's Makefile runs CMake only in a new build folder: a build configured otherwise
    # (another MicroPython tree, cache or flags) starts from scratch.
    config="$MP $CMAKE_ARGS $board $*"
    if [ "$(cat "$dir/.tinyml-config" 2>/dev/null)" != "$config" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        echo "$config" > "$dir/.tinyml-config"
    fi
    run_logged "build/rp2/$name.log" make -C "$MP/ports/rp2" -j"$JOBS" BOARD="$board" \
        BUILD="$dir" "$@"
    log "$name: $((SECONDS - start)) s"
}
# tinyml's RPI_PICO keeps a smaller filesystem than stock, for models in raw flash: its size is
# the host tools' (fsimage.LAYOUTS), which write the filesystem images and place the blobs.
storage=$(.venv/bin/python -c \
    'from tinyml_tools.boards.fsimage import LAYOUTS; print(LAYOUTS["pico"].storage_bytes)')
CMAKE_ARGS="$CMAKE_ARGS -DTINYML_FLASH_STORAGE_BYTES=$storage" firmware RPI_PICO RPI_PICO \
    BOARD_DIR="$BOARDS/RPI_PICO" USER_C_MODULES="$ROOT/native_modules/micropython/micropython.cmake" \
    FROZEN_MANIFEST="$BOARDS/manifest.py"
firmware RPI_PICO2 RPI_PICO2 \
    USER_C_MODULES="$ROOT/native_modules/micropython/micropython.cmake" \
    FROZEN_MANIFEST="$BOARDS/manifest.py"
firmware RPI_PICO-stock RPI_PICO FROZEN_MANIFEST="$BOARDS/manifest_stock.py"

# Flash and RAM of each image, stock against tinyml: docs/benchmarks.md (make benchmarks).
for name in RPI_PICO RPI_PICO2 RPI_PICO-stock; do
    echo "build/rp2/$name/firmware.uf2"
done
