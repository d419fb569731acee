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
# The audio and motion front-ends' device API: every firmware has the front-ends (tml_config.h:
# TML_HAS_FRONTEND, TML_HAS_MOTION); a build that turns one off passes audio=False or
# motion=False, as its module would cost flash for an ImportError there.
options.defaults(audio=True, motion=True)
if options.audio:
    module("tinyml_audio.py", opt=3)
if options.motion:
    module("tinyml_motion.py", opt=3)
