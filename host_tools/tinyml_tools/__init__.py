"""tinyml host tools: convert .tflite models to tinyml blobs, inspect them, run references."""

__version__ = "0.1.0"
