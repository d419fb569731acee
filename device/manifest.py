# Frozen into firmware builds (FROZEN_MANIFEST=<repo>/device/manifest.py): the device API.
# No require(): it must build without micropython-lib.
module("tinyml.py")
module("tinyml_train.py")
