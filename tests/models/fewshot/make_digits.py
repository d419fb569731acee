"""Train the few-shot backbone for the on-device learning tests (tests/device/test_training.py).

scikit-learn's bundled digits (8x8 images, 10 classes): a small MLP is trained on digits 0-5
only, quantized to int8 by TensorFlow's converter (tinyml's `quantize`), and written as
`digits_0to5.tflite` next to this script. Digits 6-9 are the classes the board is then taught.
Needs the [quantize] extra (TensorFlow) and scikit-learn:

    .venv/bin/python tests/models/fewshot/make_digits.py

Made with tensorflow-cpu 2.21.0 and scikit-learn 1.9 on Python 3.11; seeded, so reruns with the
same versions give the same file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tinyml_tools.convert.quantize import quantize  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # tests/: the few-shot task, shared with the tests
from fewshot import OLD_CLASSES, digits_split  # noqa: E402


def main() -> None:
    keras.utils.set_random_seed(0)
    train, _test = digits_split()
    x, y = train
    keep = np.isin(y, OLD_CLASSES)
    x, y = x[keep], y[keep]
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(len(OLD_CLASSES)),
        keras.layers.Softmax(),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.003),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=60, batch_size=32, verbose=0, shuffle=True)
    print("float accuracy on digits 0-5 (train):", model.evaluate(x, y, verbose=0)[1])
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "digits.keras"
        model.save(path)
        tflite = quantize(path, [x[:200]])
    (HERE / "digits_0to5.tflite").write_bytes(tflite)
    print(f"wrote {HERE / 'digits_0to5.tflite'} ({len(tflite)} bytes)")


if __name__ == "__main__":
    main()
