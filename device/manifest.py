# Frozen into firmware builds (FROZEN_MANIFEST=<repo>/device/manifest.py): the device API and
# on-device learning (tinyml_train, the facade net.trainer() imports, and its modules).
# No require(): it must build without micropython-lib.
module("tinyml.py")
module("tinyml_train.py")
module("tinyml_head.py")
module("tinyml_backbone.py")
module("tinyml_adapter.py")
module("tinyml_num.py")
