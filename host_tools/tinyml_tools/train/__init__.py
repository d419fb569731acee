"""On-device learning, host side: `sparse` chooses the sparse-update scheme that
`tinyml convert --sparse-update` records in a blob; `reference` is the NumPy reference of the
device's trainer (device/tinyml_train.py and its modules) that the tests hold it to."""
