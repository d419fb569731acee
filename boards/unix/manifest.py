# Frozen into the unix port with tinyml compiled in (scripts/setup.sh): the device API, with the
# audio and motion front-ends' modules.
include("../../device/manifest.py")
