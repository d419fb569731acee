// The Pico's QSPI flash chip behind the RP2040's XIP SSI, as the boot ROM's flash functions
// drive it (flash_range_erase / flash_range_program, which MicroPython's filesystem calls): the
// ROM asserts the chip select through IO_QSPI's SS override, then sends a command and its
// address byte by byte through the SSI's data register and reads one byte back for each.
// rp2040js models the SSI as a stub whose receive FIFO never fills, so the ROM's transfer loop
// would never end and flash could not be written: these two peripherals replace it.
//
// Commands (Winbond W25Q16JV, the Pico's chip): 0x06 write enable, 0x04 write disable, 0x05 and
// 0x35 status (never busy; QE set), 0x02 page program (bits only cleared, wrapping in the 256-byte
// page), 0x20 / 0x52 / 0xD8 erase of 4 / 32 / 64 KiB, 0x03 / 0x0B read, 0x9F JEDEC ID, 0x4B unique
// ID. A program or an erase needs a write enable first, as on the chip. Bytes sent without the
// chip select forced (the second-stage bootloader setting up XIP) read back as 0, as before.
// XIP reads go straight to the flash array, so what is programmed is what the firmware reads.
import { BasePeripheral } from 'rp2040js';

const SSI_SSIENR = 0x08;
const SSI_TXFLR = 0x20;
const SSI_RXFLR = 0x24;
const SSI_SR = 0x28;
const SSI_DR0 = 0x60;
const SR_TFNF = 0x2; // transmit FIFO not full
const SR_TFE = 0x4; // transmit FIFO empty
const SR_RFNE = 0x8; // receive FIFO not empty
const FIFO_DEPTH = 16;

const IO_QSPI_SS_CTRL = 0x0c;
const OUTOVER_LSB = 8;
const OUTOVER_LOW = 2;

const JEDEC_ID = [0xef, 0x40, 0x15];
const UNIQUE_ID = [0xe6, 0x60, 0x58, 0x38, 0x83, 0x17, 0x34, 0x2c];
const ERASE = { 0x20: 0x1000, 0x52: 0x8000, 0xd8: 0x10000 };

export class QspiFlashSSI extends BasePeripheral {
  // onWrite(offset, length): a range of the flash was programmed or erased.
  constructor(rp2040, flash, onWrite) {
    super(rp2040, 'SSI');
    this.flash = flash;
    this.onWrite = onWrite;
    this.regs = new Map();
    this.rx = [];
    this.selected = false;
    this.cmd = [];
    this.count = 0;
    this.writeEnabled = false;
  }

  select(on) {
    if (!on && this.selected) {
      this.finish();
    }
    this.selected = on;
    this.cmd = []; // the command and its address
    this.count = 0;
  }

  readUint32(offset) {
    switch (offset) {
      case SSI_TXFLR:
        return 0; // every byte goes out at once
      case SSI_RXFLR:
        return this.rx.length;
      case SSI_SR:
        return SR_TFE | SR_TFNF | (this.rx.length ? SR_RFNE : 0);
      case SSI_DR0:
        return this.rx.length ? this.rx.shift() : 0;
      default:
        return this.regs.get(offset) ?? 0;
    }
  }

  writeUint32(offset, value) {
    if (offset === SSI_DR0) {
      const reply = this.selected ? this.transfer(value & 0xff) : 0;
      if (this.rx.length < FIFO_DEPTH) {
        this.rx.push(reply);
      }
      return;
    }
    if (offset === SSI_SSIENR && !(value & 1)) {
      this.rx = []; // disabling the SSI clears its FIFOs
    }
    this.regs.set(offset, value);
  }

  address() {
    const [, a, b, c] = this.cmd;
    return ((a << 16) | (b << 8) | c) % this.flash.length;
  }

  // One byte out, one byte back, while the chip is selected.
  transfer(byte) {
    const n = this.count++; // bytes of this command before this one
    if (n < 4) {
      this.cmd.push(byte);
    }
    const op = this.cmd[0];
    if (n === 0) {
      if (op === 0x06) {
        this.writeEnabled = true;
      } else if (op === 0x04) {
        this.writeEnabled = false;
      }
      return 0;
    }
    switch (op) {
      case 0x05:
        return this.writeEnabled ? 0x02 : 0; // WEL; BUSY never set
      case 0x35:
        return 0x02; // QE
      case 0x9f:
        return JEDEC_ID[n - 1] ?? 0;
      case 0x4b:
        return n >= 5 ? (UNIQUE_ID[n - 5] ?? 0) : 0;
      case 0x03:
      case 0x0b: {
        const first = op === 0x0b ? 5 : 4; // fast read: one dummy byte
        return n >= first ? this.flash[(this.address() + n - first) % this.flash.length] : 0;
      }
      case 0x02:
        if (n >= 4 && this.writeEnabled) {
          const a = this.address();
          const at = (a & ~0xff) | ((a + n - 4) & 0xff);
          this.flash[at] &= byte;
          this.onWrite(at, 1);
        }
        return 0;
      default:
        return 0;
    }
  }

  // The chip select goes high: an erase command takes effect, and any program or erase ends
  // the write enable.
  finish() {
    const op = this.cmd[0];
    if (op in ERASE && this.cmd.length === 4 && this.writeEnabled) {
      const size = ERASE[op];
      const start = this.address() & ~(size - 1);
      this.flash.fill(0xff, start, start + size);
      this.onWrite(start, size);
    }
    if (op === 0x02 || op in ERASE) {
      this.writeEnabled = false;
    }
  }
}

// IO_QSPI's registers, remembered (rp2040js leaves them unimplemented and reads them as all
// ones, which the ROM takes for a flash operation aborted by a debugger); a write to the SS pin's
// control selects the chip when its output override drives the pin low.
export class IoQspi extends BasePeripheral {
  constructor(rp2040, ssi) {
    super(rp2040, 'IO_QSPI');
    this.ssi = ssi;
    this.regs = new Map();
  }

  readUint32(offset) {
    return this.regs.get(offset) ?? 0;
  }

  writeUint32(offset, value) {
    this.regs.set(offset, value);
    if (offset === IO_QSPI_SS_CTRL) {
      this.ssi.select(((value >>> OUTOVER_LSB) & 3) === OUTOVER_LOW);
    }
  }
}
