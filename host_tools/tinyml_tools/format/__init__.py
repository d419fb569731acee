"""The blob format: the one writer and reader of tinyml's model files (blob.py)."""
