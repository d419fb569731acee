# Frozen into firmware builds (FROZEN_MANIFEST=<repo>/device/manifest.py): the device API and
# on-device learning (tinyml_train, the facade net.trainer() imports, and its modules).
# No require(): it must build without micropython-lib.
# opt=3 leaves out line numbers (about 2 KB less flash; the device API asserts nothing and its
# errors are messages, so a traceback into it still says what went wrong).
module("tinyml.py", opt=3)
module("tinyml_train.py", opt=3)
module("tinyml_head.py", opt=3)
module("tinyml_backbone.py", opt=3)
module("tinyml_adapter.py", opt=3)
module("tinyml_num.py", opt=3)
# The audio front-end's device API, in firmware that has the front-end (tml_config.h:
# TML_HAS_FRONTEND, today the unix port: boards/unix/manifest.py includes this with audio=True);
# elsewhere it would cost flash for an ImportError.
options.defaults(audio=False)
if options.audio:
    module("tinyml_audio.py", opt=3)
