# Sourced by the scripts that fetch Debian packages (micropython-source.sh, build_rp2.sh).
#
# debian_apt_update sets the array APT to apt-get/apt-cache options for a private apt state in
# $CACHE/apt-state (its own sources list for Debian trixie, binary and source, its own lists
# and archive cache) and refreshes its lists. The mirror is the one this system's apt already
# uses, read at run time: the system's apt configuration is never modified and no mirror host
# is written into the project. The caller sets CACHE and defines log().

debian_apt_update() {
    local mirror state=$CACHE/apt-state key=/usr/share/keyrings/debian-archive-keyring.gpg
    mirror=$(apt-get indextargets --format '$(REPO_URI)' 2>/dev/null | grep -v -e security -e updates | grep -m1 /debian/ || true)
    if [ -z "$mirror" ]; then
        mirror=$(grep -h -m1 -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
                 | grep -v security | head -1 | sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//; s/ .*//')
    fi
    [ -n "$mirror" ] || { log "no Debian mirror found in the system's apt configuration"; return 1; }
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
    printf 'deb [signed-by=%s] %s trixie main\ndeb-src [signed-by=%s] %s trixie main\n' \
        "$key" "${mirror%/}/" "$key" "${mirror%/}/" > "$state/sources.list"
    APT=(-o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
         -o APT::Sandbox::User=root -qq)
    apt-get "${APT[@]}" update
}
