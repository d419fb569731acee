#!/usr/bin/env bash
# Print the micropython-lib folder to build MicroPython tree $1 with (MPY_LIB_DIR, or the rp2
# port's MICROPY_LIB_DIR). Debian's source has no micropython-lib; tinyml's frozen manifests
# need nothing from it, but the builds want the folder to exist: an empty stand-in then.
set -euo pipefail
lib="$1/lib/micropython-lib"
if [ ! -f "$lib/README.md" ]; then
    lib="${TINYML_CACHE:-$HOME/.cache/tinyml}/micropython-lib-empty"
    mkdir -p "$lib"
    echo "Empty stand-in: tinyml's frozen manifests require nothing from micropython-lib." \
        > "$lib/README.md"
fi
echo "$lib"
