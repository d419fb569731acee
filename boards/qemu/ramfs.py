# A RAM disk for the emulated boards (QEMU has no flash to program): littlefs on a bytearray,
# mounted at /ram, so that mpremote cp, ls and run work as on a board with a filesystem.
#   import ramfs; ramfs.mount()      # then: mpremote cp tinyml.mpy :/ram/
import os

import vfs


class RAMBlockDev:
    def __init__(self, block_size, num_blocks):
        self.block_size = block_size
        self.data = bytearray(block_size * num_blocks)

    def readblocks(self, block_num, buf, offset=0):
        addr = block_num * self.block_size + offset
        buf[:] = self.data[addr : addr + len(buf)]

    def writeblocks(self, block_num, buf, offset=None):
        if offset is None:
            offset = 0
        addr = block_num * self.block_size + offset
        self.data[addr : addr + len(buf)] = buf

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return len(self.data) // self.block_size
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # erase
            return 0
        return None


dev = None  # the RAM disk of this boot, made by disk()


def disk(kib=512):
    """The RAM disk (made on first use). Its bytes are disk().data: the host keeps an emulated
    board's files between sessions by reading them out, and writing them back after a boot
    before mount(format=False)."""
    global dev
    if dev is None:
        dev = RAMBlockDev(512, kib * 2)
    return dev


def mount(kib=512, path="/ram", format=True):
    d = disk(kib)
    if format:
        vfs.VfsLfs2.mkfs(d)
    vfs.mount(vfs.VfsLfs2(d, mtime=False), path)
    os.chdir(path)
    return d
