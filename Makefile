# tinyml: two commands a user needs.
#   make demo   set everything up, convert the KWS model, run it in MicroPython
#   make demo-audio   a minute of speech through the streaming keyword spotter in MicroPython
#   make test   set everything up and run the whole test suite
.PHONY: demo demo-audio test setup clean conformance memory benchmarks fuzz fuzz-coverage firmware-rp2 dist

PY := .venv/bin/python

setup:
	@scripts/setup.sh

# Raspberry Pi Pico firmware (build/rp2/) and the RP2040 emulator; setup runs it too.
firmware-rp2:
	@scripts/build_rp2.sh >/dev/null

demo: setup
	@mkdir -p build/demo
	@.venv/bin/tinyml convert models/kws/kws.tflite -o build/demo/kws.bin \
		--labels models/kws/labels.txt --name kws
	@cp models/kws/samples.bin models/kws/samples.txt examples/kws_demo.py build/demo/
	@cd build/demo && ../unix/micropython kws_demo.py

# The stream is made from the committed word clips (examples/speech/make_speech.py); the
# truth is printed after the detections to compare.
demo-audio: setup
	@mkdir -p build/demo-audio
	@$(PY) examples/speech/make_speech.py stream build/demo-audio/stream.wav
	@cp models/micro_speech/micro_speech.bin examples/kws_stream.py build/demo-audio/
	@cd build/demo-audio && ../unix/micropython kws_stream.py stream.wav
	@echo "spoken (label, start ms, end ms):" && tr '\n' ';' < build/demo-audio/stream.txt && echo

test: setup
	@$(PY) -m pytest

# build/dist/: the wheel with every native module, the unix port and the Pico firmware inside,
# and a static mip index (scripts/dist.sh).
dist: setup
	@scripts/dist.sh

# docs/conformance.md: every model, converted and compared with TFLite's reference kernels.
conformance: setup
	@$(PY) scripts/conformance_report.py

# docs/memory.md: tinyml's arena beside TFLM's (measured) and the lower bound, per model.
memory: setup
	@$(PY) scripts/memory_report.py

# docs/benchmarks.md: instructions per inference on unix and every emulated core, code sizes.
benchmarks: setup
	@$(PY) scripts/benchmarks_report.py

# The C core under libFuzzer + ASan/UBSan for half an hour (make test runs it for a minute).
fuzz: setup
	@TML_FUZZ_SECONDS=1800 $(PY) -m pytest tests/fuzz -s

# docs/security.md: the validator's line and branch coverage reached by 2 minutes of fuzzing.
fuzz-coverage: setup
	@$(PY) scripts/fuzz_coverage.py

clean:
	rm -rf build
