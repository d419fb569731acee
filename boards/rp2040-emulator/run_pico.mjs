// Run Raspberry Pi Pico (RP2040) firmware on rp2040js, with the firmware's USB CDC serial port
// on this process's stdin/stdout as raw bytes:
//
//   node run_pico.mjs FIRMWARE.uf2 [--fs IMAGE [--save]] [--fs-offset 0xA0000] [--cycles-file F]
//
// --fs writes a flash image (a littlefs filesystem built on the host, raw blobs before it) into
// flash at --fs-offset before boot: where the firmware's filesystem starts (0xA0000 on
// MicroPython's RPI_PICO) or lower. The firmware writes its flash as on a real Pico
// (qspi_flash.mjs); --save writes that region back to IMAGE whenever it changed (at most once
// a second, and on exit), so that the files the board wrote are there at the next boot.
// (Concatenated UF2 files, e.g. the firmware and a filesystem image converted with `picotool uf2
// convert`, load as one, as on a real Pico.)
// --cycles-file keeps F up to date with the core's counters as JSON:
// {"cycles": Cortex-M0+ cycles executed, "instructions": ..., "emulated_us": emulated time}.
//
// TML_PICO_PROFILE=F in the environment writes a profile on exit (see writeProfile).
//
// stdout carries only the serial data, so that
//   socat PTY,link=/tmp/pico0,raw,echo=0 EXEC:"node run_pico.mjs firmware.uf2"
// gives a serial port mpremote drives like a real Pico's. Diagnostics go to stderr. On a
// terminal, Ctrl-] quits. Needs `npm ci` in this folder first.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConsoleLogger, LogLevel, Simulator, USBCDC } from 'rp2040js';
import { IoQspi, QspiFlashSSI } from './qspi_flash.mjs';

const FLASH_BASE = 0x10000000;
const UF2_MAGIC_START0 = 0x0a324655;
const UF2_MAGIC_START1 = 0x9e5d5157;
const UF2_MAGIC_END = 0x0ab16f30;
const UF2_FLAG_NOT_MAIN_FLASH = 0x1;
const UF2_FLAG_FAMILY_ID = 0x2000;
const RP2040_FAMILY_ID = 0xe48bff56;
// Wall time the emulator runs before it lets Node handle I/O: long enough that the event loop
// costs next to nothing, short enough that serial data flows without a noticeable delay.
const SLICE_MS = 20;
// Instructions between two looks at the wall clock.
const BATCH = 50000;
const CTRL_RIGHT_BRACKET = 0x1d;

// rp2040js logs through console.log/info/debug, which print to stdout: stdout is the serial port.
for (const name of ['log', 'info', 'debug']) {
  console[name] = console.error;
}

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    fs: { type: 'string' },
    'fs-offset': { type: 'string', default: '0xA0000' },
    save: { type: 'boolean', default: false },
    'cycles-file': { type: 'string' },
  },
});
if (positionals.length !== 1) {
  console.error(
    'usage: node run_pico.mjs FIRMWARE.uf2 [--fs IMAGE [--save]] [--fs-offset 0xA0000] ' +
      '[--cycles-file F]',
  );
  process.exit(2);
}

function loadUF2(flash, data, name) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let loaded = 0;
  for (let pos = 0; pos + 512 <= data.length; pos += 512) {
    const word = (offset) => view.getUint32(pos + offset, true);
    const magic = word(0) === UF2_MAGIC_START0 && word(4) === UF2_MAGIC_START1;
    if (!magic || word(508) !== UF2_MAGIC_END) {
      throw new Error(`${name}: not a UF2 block at byte ${pos}`);
    }
    const flags = word(8);
    const otherChip = flags & UF2_FLAG_FAMILY_ID && word(28) !== RP2040_FAMILY_ID;
    if (flags & UF2_FLAG_NOT_MAIN_FLASH || otherChip) {
      continue;
    }
    flash.set(data.subarray(pos + 32, pos + 32 + word(16)), word(12) - FLASH_BASE);
    loaded++;
  }
  if (loaded === 0) {
    throw new Error(`${name}: no RP2040 blocks (firmware for another chip?)`);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const simulator = new Simulator();
const mcu = simulator.rp2040;
const { core, clock } = mcu;
// Errors only: every boot touches peripherals rp2040js leaves unimplemented (QSPI pads, SSI
// status), harmlessly. An error is reported but does not stop the emulator, as it would not
// stop the chip.
mcu.logger = new ConsoleLogger(LogLevel.Error, false);
// The flash region --save keeps in the image file, and whether the firmware changed it since.
let saved = null;
let dirty = false;
let saveTimer = null;
function saveFlash() {
  clearTimeout(saveTimer);
  saveTimer = null;
  if (!opts.save || !saved || !dirty) {
    return;
  }
  dirty = false;
  const tmp = `${opts.fs}.tmp`;
  writeFileSync(tmp, mcu.flash.subarray(saved.offset, saved.offset + saved.size));
  renameSync(tmp, opts.fs);
}
function flashWritten(offset, size) {
  if (saved && offset < saved.offset + saved.size && offset + size > saved.offset) {
    dirty = true;
    saveTimer ??= setTimeout(saveFlash, 1000);
  }
}
const ssi = new QspiFlashSSI(mcu, mcu.flash, flashWritten);
mcu.peripherals[0x18000] = ssi;
mcu.peripherals[0x40018] = new IoQspi(mcu, ssi);
try {
  const bootrom = readFileSync(join(here, 'bootrom_b1.bin'));
  // loadBootrom resets the chip, which erases the flash: flash contents come after it.
  mcu.loadBootrom(new Uint32Array(bootrom.buffer, bootrom.byteOffset, bootrom.byteLength / 4));
  loadUF2(mcu.flash, readFileSync(positionals[0]), positionals[0]);
  if (opts.fs) {
    const offset = Number(opts['fs-offset']);
    if (!Number.isInteger(offset) || offset < 0) {
      throw new Error(`--fs-offset ${opts['fs-offset']}: not a flash offset`);
    }
    const image = readFileSync(opts.fs);
    mcu.flash.set(image, offset);
    saved = { offset, size: image.length };
  }
} catch (err) {
  console.error(`run_pico: ${err.message}`);
  process.exit(1);
}
// Start at the second-stage bootloader at the start of flash, where the boot ROM would hand over
// after its checks. The ROM's own reset path does not get there on rp2040js: it reads the
// unimplemented CHIP_RESET register as all ones ("debugger requested rescue") and parks the
// core. The ROM stays loaded for the functions the SDK looks up in it.
core.PC = FLASH_BASE;

// Host-to-device bytes wait here until the CDC's FIFO has room.
const input = [];
let inputPos = 0;
const cdc = new USBCDC(mcu.usbCtrl);
cdc.onSerialData = (buffer) => process.stdout.write(buffer);

function refillCdc() {
  while (inputPos < input.length && !cdc.txFIFO.full) {
    cdc.sendSerialByte(input[inputPos++]);
  }
  if (inputPos === input.length) {
    input.length = inputPos = 0;
  }
}

// rp2040js answers every OUT transfer the firmware arms at once, with an empty packet when the
// host has nothing to say; the firmware re-arms and the idle REPL spins. A real host NAKs until
// it has data: hold the transfer back until then, so that the idle firmware sleeps in WFE and
// so does this process.
const answerRead = mcu.usbCtrl.onEndpointRead;
const heldReads = new Map();
mcu.usbCtrl.onEndpointRead = (endpoint, size) => {
  refillCdc();
  if (cdc.txFIFO.empty) {
    heldReads.set(endpoint, size);
  } else {
    answerRead(endpoint, size);
  }
};

let wakeTimer = null;
let idle = false;
function wake() {
  if (idle) {
    idle = false;
    clearTimeout(wakeTimer);
    setImmediate(run);
  }
}

function onInput(chunk) {
  if (process.stdin.isTTY && chunk.includes(CTRL_RIGHT_BRACKET)) {
    quit();
  }
  for (const byte of chunk) {
    input.push(byte);
  }
  refillCdc();
  for (const [endpoint, size] of heldReads) {
    heldReads.delete(endpoint);
    answerRead(endpoint, size);
  }
  wake();
}

let instructions = 0;
let written = -1;
// TML_PICO_PROFILE=F (for developers): the cycles the core spends at each instruction, written
// to F on exit as "address cycles" lines; scripts/pico_profile.py sums them per function of the
// firmware's ELF. One slot per halfword of the first 1 MB of flash (XIP) and of SRAM.
const PROFILE = process.env.TML_PICO_PROFILE;
const SLOTS = 0x80000;
const profile = PROFILE ? new Float64Array(2 * SLOTS) : null;
function profileSlot(pc) {
  return ((pc >>> 28) & 1 ? SLOTS : 0) + ((pc >>> 1) & (SLOTS - 1));
}
function writeProfile() {
  if (!profile) {
    return;
  }
  const lines = [];
  for (let i = 0; i < profile.length; i++) {
    if (profile[i]) {
      const base = i >= SLOTS ? FLASH_BASE : 0x20000000;
      lines.push(`${(base + 2 * (i % SLOTS)).toString(16)} ${profile[i]}`);
    }
  }
  writeFileSync(PROFILE, lines.join('\n') + '\n');
}
function writeCycles() {
  if (!opts['cycles-file'] || core.cycles === written) {
    return;
  }
  written = core.cycles;
  const tmp = `${opts['cycles-file']}.tmp`;
  writeFileSync(
    tmp,
    JSON.stringify({ cycles: core.cycles, instructions, emulated_us: clock.nanos / 1000 }) + '\n',
  );
  renameSync(tmp, opts['cycles-file']);
}

// Emulated time advances by each instruction's cycles at the firmware's system clock; while the
// core sleeps (WFI/WFE) it jumps to the next timer or peripheral event. The firmware's TIMER
// therefore reads cycles / (clk_sys in MHz) microseconds for code that does not sleep.
//
// A sleeping core is never allowed to get ahead of the wall clock: the firmware's own sleeps
// (time.sleep, timeouts) then take real time at most, and an idle firmware does not spin.
const wallStart = performance.now();
function run() {
  const sliceEnd = performance.now() + SLICE_MS;
  const nanosPerCycle = 1e9 / mcu.clkSys;
  for (;;) {
    for (let i = 0; i < BATCH; i++) {
      if (!core.waiting) {
        if (profile) {
          const slot = profileSlot(core.registers[15]);
          const cycles = core.executeInstruction();
          profile[slot] += cycles;
          clock.tick(cycles * nanosPerCycle);
        } else {
          clock.tick(core.executeInstruction() * nanosPerCycle);
        }
        instructions++;
        continue;
      }
      const toAlarm = clock.nanosToNextAlarm;
      if (toAlarm === 0) {
        clock.tick(0);
        if (core.waiting && clock.nanosToNextAlarm === 0) {
          // Nothing scheduled: only the host can wake the core.
          return sleep(null);
        }
        continue;
      }
      const aheadMs = (clock.nanos + toAlarm) / 1e6 - (performance.now() - wallStart);
      if (aheadMs > 1) {
        return sleep(aheadMs);
      }
      clock.tick(toAlarm);
    }
    if (performance.now() >= sliceEnd) {
      break;
    }
  }
  writeCycles();
  setImmediate(run);
}

function sleep(ms) {
  writeCycles();
  idle = true;
  if (ms !== null) {
    wakeTimer = setTimeout(wake, ms);
  }
}

function quit() {
  writeCycles();
  writeProfile();
  saveFlash();
  process.exit(0);
}

if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  console.error('run_pico: Ctrl-] quits');
}
process.stdin.on('data', onInput);
process.stdin.on('end', quit);
process.on('SIGTERM', quit);
process.on('SIGHUP', quit);
process.on('SIGINT', quit);
run();
