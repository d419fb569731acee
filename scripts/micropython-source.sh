#!/usr/bin/env bash
# Print the path of a MicroPython v1.25.0 source tree, obtaining it if needed.
#
# Order: $MICROPYTHON_DIR if set; else a cached tree; else the upstream git tag (where the
# network allows); else Debian's source package through the private apt state of
# debian-apt.sh (the system's apt configuration is never modified). The orig tarball's sha256
# is verified.
set -euo pipefail

MP_VERSION=1.25.0
DEB_VERSION=1.25.0+ds-1
ORIG=micropython_1.25.0+ds.orig.tar.xz
ORIG_SHA256=7b25be99a502f070b2de81dafc08da7051d992325d6e67daa9045a918fffdbea
CACHE=${TINYML_CACHE:-$HOME/.cache/tinyml}
DEST=$CACHE/micropython-$MP_VERSION

log() { echo "micropython-source: $*" >&2; }

if [ -n "${MICROPYTHON_DIR:-}" ]; then
    [ -f "$MICROPYTHON_DIR/py/mpconfig.h" ] || { log "MICROPYTHON_DIR=$MICROPYTHON_DIR is not a MicroPython tree"; exit 1; }
    echo "$MICROPYTHON_DIR"; exit 0
fi
if [ -f "$DEST/.complete" ]; then echo "$DEST"; exit 0; fi

mkdir -p "$CACHE"
rm -rf "$DEST.tmp"

if timeout 60 git clone -q --depth 1 --branch "v$MP_VERSION" \
        https://github.com/micropython/micropython.git "$DEST.tmp" 2>/dev/null; then
    log "cloned upstream tag v$MP_VERSION"
else
    rm -rf "$DEST.tmp"
    log "upstream git unreachable; using Debian's source package $DEB_VERSION"
    # shellcheck source=debian-apt.sh
    . "$(dirname "$0")/debian-apt.sh"
    debian_apt_update
    state=$CACHE/apt-state
    mkdir -p "$state/src"
    (cd "$state/src" && apt-get "${APT[@]}" source --download-only "micropython=$DEB_VERSION")
    echo "$ORIG_SHA256  $state/src/$ORIG" | sha256sum -c --quiet -
    mkdir -p "$DEST.tmp"
    tar -xJf "$state/src/$ORIG" -C "$DEST.tmp" --strip-components=1
fi
touch "$DEST.tmp/.complete"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "$DEST"
