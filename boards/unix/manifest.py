# Frozen into the unix port with tinyml compiled in (scripts/setup.sh): the device API with the
# audio front-end's module, which this port's firmware has (tml_config.h).
include("../../device/manifest.py", audio=True)
