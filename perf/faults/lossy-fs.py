#!/usr/bin/python3
"""A FUSE file system that loses what was never synced, for the power-loss fault.

Usage: lossy-fs.py BACKING_DIR MOUNT_POINT

Every file operation goes to BACKING_DIR, except the bytes of writes: they stay in this process's
memory (the "page cache") until the file is fsynced, when they are applied to the backing file and
fsynced there. Killing this process is the power cut: the mount point dies, and BACKING_DIR holds
exactly what was synced. Metadata (create, rename, unlink, truncate) is applied at once, as on a
journalled file system that orders metadata before data (ext4 data=ordered keeps the rename, not the
unsynced bytes). Runs in the foreground, single-threaded, so operations never interleave.
"""
import errno
import os
import sys

from fusepy import FUSE, FuseOSError, Operations


class LossyFs(Operations):
    def __init__(self, root):
        self.root = root
        # path -> {"writes": [(offset, bytes)], "size": logical size or None}
        self.dirty = {}

    def _full(self, path):
        return os.path.join(self.root, path.lstrip('/'))

    def _size(self, path, backing_size):
        entry = self.dirty.get(path)
        if entry is None:
            return backing_size
        return entry['size']

    def _entry(self, path):
        entry = self.dirty.get(path)
        if entry is None:
            entry = {'writes': [], 'size': os.lstat(self._full(path)).st_size}
            self.dirty[path] = entry
        return entry

    # --- metadata, applied at once

    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise FuseOSError(errno.EACCES)

    def getattr(self, path, fh=None):
        st = os.lstat(self._full(path))
        attrs = {key: getattr(st, key) for key in (
            'st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid')}
        attrs['st_size'] = self._size(path, st.st_size)
        return attrs

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self._full(path))

    def mkdir(self, path, mode):
        os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        os.rmdir(self._full(path))

    def unlink(self, path):
        os.unlink(self._full(path))
        self.dirty.pop(path, None)

    def rename(self, old, new):
        os.rename(self._full(old), self._full(new))
        self.dirty.pop(new, None)
        if old in self.dirty:
            self.dirty[new] = self.dirty.pop(old)

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        os.utime(self._full(path), times)

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {key: getattr(st, key) for key in (
            'f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag',
            'f_frsize', 'f_namemax')}

    def truncate(self, path, length, fh=None):
        entry = self._entry(path)
        entry['size'] = length
        entry['writes'] = [(off, data[:max(0, length - off)]) for off, data in entry['writes'] if off < length]

    # --- data: writes stay here until fsync

    def create(self, path, mode, fi=None):
        fd = os.open(self._full(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.close(fd)
        self.dirty.pop(path, None)
        return 0

    def open(self, path, flags):
        if flags & os.O_TRUNC:
            self.truncate(path, 0)
        return 0

    def read(self, path, length, offset, fh):
        with open(self._full(path), 'rb') as f:
            f.seek(offset)
            data = bytearray(f.read(length))
        entry = self.dirty.get(path)
        if entry is None:
            return bytes(data)
        end = min(offset + length, entry['size'])
        if end <= offset:
            return b''
        if len(data) < end - offset:
            data.extend(b'\0' * (end - offset - len(data)))
        del data[end - offset:]
        for woff, wdata in entry['writes']:
            lo = max(woff, offset)
            hi = min(woff + len(wdata), end)
            if lo < hi:
                data[lo - offset:hi - offset] = wdata[lo - woff:hi - woff]
        return bytes(data)

    def write(self, path, data, offset, fh):
        entry = self._entry(path)
        entry['writes'].append((offset, bytes(data)))
        entry['size'] = max(entry['size'], offset + len(data))
        return len(data)

    def fsync(self, path, datasync, fh):
        entry = self.dirty.pop(path, None)
        if entry is None:
            return 0
        fd = os.open(self._full(path), os.O_WRONLY)
        try:
            os.ftruncate(fd, entry['size'])
            for off, data in entry['writes']:
                os.pwrite(fd, data, off)
            os.fsync(fd)
        finally:
            os.close(fd)
        return 0

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        return 0

    def fsyncdir(self, path, datasync, fh):
        return 0


if __name__ == '__main__':
    backing, mount = sys.argv[1], sys.argv[2]
    FUSE(LossyFs(os.path.realpath(backing)), mount, foreground=True, nothreads=True)
