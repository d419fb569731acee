"""The .tflite -> blob converter: read the flatbuffer (tflite_reader) into a graph IR (graph),
rewrite it (graph_passes), lower each operator to blob operators with every constant
precomputed (lowering, lower, lower_elementwise, lower_layout, on quantmath, fixedpoint and
luts), plan the arena (planner), pack weights for a target core (packing) and write the blob
(pipeline, through format.blob).
quantize turns a float model into an int8 .tflite first (TensorFlow's converter)."""

from .lowering import ROUNDING_MODES, ConversionError
from .packing import WEIGHT_PACKINGS, pack_weights
from .pipeline import convert_model, read_labels
from .tflite_reader import ModelFormatError

__all__ = ["ROUNDING_MODES", "WEIGHT_PACKINGS", "ConversionError", "ModelFormatError",
           "convert_model", "pack_weights", "read_labels"]
