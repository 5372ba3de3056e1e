/**
 * Where a partition's files live: a directory on disk, or a map of growable Buffers for the
 * in-memory log. The engine above sees one interface, so rolling, retention, indexes and
 * recovery behave the same in both; only durability differs.
 *
 * Every call is synchronous and may throw the fs error (ENOSPC, EIO …); the engine catches
 * at its boundary and answers LogStatus.StorageError.
 */
import {
  closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync,
  readFileSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeSync
} from 'node:fs'
import { join } from 'node:path'

/** One open file. Positions are explicit: nothing depends on a file cursor. */
export interface StoreFile {
  readonly name: string
  /** Bytes in the file, as this handle last wrote, truncated or found it. */
  readonly size: number
  /** Writes at `position`; returns the bytes written (a short count is possible, as with write(2)). */
  write (src: Uint8Array, srcOffset: number, length: number, position: number): number
  /** Reads into `target`; returns the bytes read (fewer at the end of the file). */
  read (target: Uint8Array, targetOffset: number, length: number, position: number): number
  truncate (size: number): void
  /** Makes the data (and the size) durable: fdatasync. */
  sync (): void
  close (): void
  readonly closed: boolean
}

export interface LogStore {
  /** The directory, or null in memory. */
  readonly path: string | null
  list (): string[]
  exists (name: string): boolean
  /** Opens `name`, creating it empty when missing. */
  open (name: string): StoreFile
  /** The whole file, or null when it does not exist. */
  readAll (name: string): Buffer | null
  /** Replaces `name` atomically and durably: temp file, fsync, rename, fsync of the directory. */
  writeAtomic (name: string, data: Uint8Array): void
  /** Removes `name`; a missing file is not an error. */
  remove (name: string): void
  modifiedMs (name: string): number
  /** Makes created, renamed and removed names durable. */
  syncDir (): void
  /** Removes every file and the directory itself. */
  destroy (): void
}

// --- disk

/** Shared by a DiskStore and the files it opened: once set, their fs calls fail (a failed data dir). */
interface DiskHealth {
  failed: boolean
}

function failedDiskError (path: string): Error {
  return Object.assign(new Error(`EIO: ${path} is on a failed data dir`), { code: 'EIO' })
}

class DiskFile implements StoreFile {
  readonly name: string
  size: number
  #fd: number
  readonly #health: DiskHealth

  constructor (name: string, fd: number, health: DiskHealth) {
    this.name = name
    this.#fd = fd
    this.#health = health
    this.size = fstatSync(fd).size
  }

  get closed (): boolean { return this.#fd < 0 }

  #checkOpen (): number {
    // A closed descriptor number may already belong to another file: never touch it.
    if (this.#fd < 0) throw Object.assign(new Error(`${this.name} is closed`), { code: 'EBADF' })
    if (this.#health.failed) throw failedDiskError(this.name)
    return this.#fd
  }

  write (src: Uint8Array, srcOffset: number, length: number, position: number): number {
    const n = writeSync(this.#checkOpen(), src, srcOffset, length, position)
    if (position + n > this.size) this.size = position + n
    return n
  }

  read (target: Uint8Array, targetOffset: number, length: number, position: number): number {
    return readSync(this.#checkOpen(), target, targetOffset, length, position)
  }

  truncate (size: number): void {
    ftruncateSync(this.#checkOpen(), size)
    this.size = size
  }

  sync (): void {
    fdatasyncSync(this.#checkOpen())
  }

  /** Still releases the descriptor on a failed disk: only data calls fail. */
  close (): void {
    if (this.#fd < 0) return
    const fd = this.#fd
    this.#fd = -1
    closeSync(fd)
  }
}

export class DiskStore implements LogStore {
  readonly path: string
  readonly #health: DiskHealth = { failed: false }

  constructor (path: string) {
    this.path = path
    mkdirSync(path, { recursive: true })
  }

  /**
   * Fails this store for good, as a dead disk would: from now on every fs call of the store and
   * of the files it opened throws EIO (closing still releases descriptors). The data dir fault.
   */
  fail (): void { this.#health.failed = true }

  get failed (): boolean { return this.#health.failed }

  #check (): void {
    if (this.#health.failed) throw failedDiskError(this.path)
  }

  list (): string[] {
    this.#check()
    return readdirSync(this.path)
  }

  exists (name: string): boolean {
    this.#check()
    try {
      statSync(join(this.path, name))
      return true
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
  }

  open (name: string): StoreFile {
    this.#check()
    // Not 'a+': with O_APPEND, Linux ignores the position of pwrite.
    const fd = openSync(join(this.path, name), constants.O_RDWR | constants.O_CREAT, 0o644)
    try {
      return new DiskFile(name, fd, this.#health)
    } catch (err) {
      closeSync(fd)
      throw err
    }
  }

  readAll (name: string): Buffer | null {
    this.#check()
    try {
      return readFileSync(join(this.path, name))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  writeAtomic (name: string, data: Uint8Array): void {
    this.#check()
    const tmp = join(this.path, `${name}.tmp`)
    const fd = openSync(tmp, 'w')
    try {
      let done = 0
      while (done < data.length) done += writeSync(fd, data, done, data.length - done, done)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, join(this.path, name))
    this.syncDir()
  }

  remove (name: string): void {
    this.#check()
    try {
      unlinkSync(join(this.path, name))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }

  modifiedMs (name: string): number {
    this.#check()
    return statSync(join(this.path, name)).mtimeMs
  }

  syncDir (): void {
    this.#check()
    const fd = openSync(this.path, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }

  destroy (): void {
    this.#check()
    rmSync(this.path, { recursive: true, force: true })
  }
}

// --- memory

interface MemoryData {
  bytes: Buffer
  size: number
  modifiedMs: number
}

/** A fault to inject once into a MemoryStore (tests of the StorageError paths). */
export interface StoreFault {
  op: 'write' | 'sync' | 'open' | 'truncate' | 'writeAtomic'
  /** For 'write': how many bytes land before the error. */
  partialBytes?: number
  /** The errno code to throw; ENOSPC by default. */
  code?: string
}

function fsError (code: string, op: string, name: string): Error {
  return Object.assign(new Error(`${code}: injected fault, ${op} '${name}'`), { code })
}

class MemoryFile implements StoreFile {
  readonly name: string
  readonly #data: MemoryData
  readonly #store: MemoryStore
  #closed = false

  constructor (name: string, data: MemoryData, store: MemoryStore) {
    this.name = name
    this.#data = data
    this.#store = store
  }

  get size (): number { return this.#data.size }
  get closed (): boolean { return this.#closed }

  #checkOpen (): MemoryData {
    if (this.#closed) throw fsError('EBADF', 'use of closed', this.name)
    return this.#data
  }

  write (src: Uint8Array, srcOffset: number, length: number, position: number): number {
    const data = this.#checkOpen()
    const fault = this.#store.takeFault('write')
    const n = fault === null ? length : Math.min(length, fault.partialBytes ?? 0)
    const end = position + n
    if (end > data.bytes.length) {
      let capacity = Math.max(data.bytes.length, 4096)
      while (capacity < end) capacity *= 2
      const grown = Buffer.alloc(capacity)
      data.bytes.copy(grown, 0, 0, data.size)
      data.bytes = grown
    }
    if (position > data.size) data.bytes.fill(0, data.size, position)
    data.bytes.set(src.subarray(srcOffset, srcOffset + n), position)
    if (end > data.size) data.size = end
    data.modifiedMs = Date.now()
    if (fault !== null) throw fsError(fault.code ?? 'ENOSPC', 'write', this.name)
    return n
  }

  read (target: Uint8Array, targetOffset: number, length: number, position: number): number {
    const data = this.#checkOpen()
    const n = Math.max(0, Math.min(length, data.size - position))
    if (n > 0) target.set(data.bytes.subarray(position, position + n), targetOffset)
    return n
  }

  truncate (size: number): void {
    const data = this.#checkOpen()
    const fault = this.#store.takeFault('truncate')
    if (fault !== null) throw fsError(fault.code ?? 'EIO', 'truncate', this.name)
    if (size > data.size) {
      this.write(Buffer.alloc(size - data.size), 0, size - data.size, data.size)
    } else {
      data.size = size
    }
  }

  sync (): void {
    this.#checkOpen()
    const fault = this.#store.takeFault('sync')
    if (fault !== null) throw fsError(fault.code ?? 'EIO', 'sync', this.name)
  }

  close (): void { this.#closed = true }
}

/** In-memory files. `faults` lets tests make the next matching call fail. */
export class MemoryStore implements LogStore {
  readonly path = null
  readonly #files = new Map<string, MemoryData>()
  readonly #faults: StoreFault[] = []

  /** Queues a one-shot fault for the next call of `fault.op`. */
  injectFault (fault: StoreFault): void { this.#faults.push(fault) }

  /** @internal */
  takeFault (op: StoreFault['op']): StoreFault | null {
    const i = this.#faults.findIndex(f => f.op === op)
    return i < 0 ? null : this.#faults.splice(i, 1)[0]
  }

  list (): string[] { return [...this.#files.keys()] }
  exists (name: string): boolean { return this.#files.has(name) }

  open (name: string): StoreFile {
    const fault = this.takeFault('open')
    if (fault !== null) throw fsError(fault.code ?? 'EMFILE', 'open', name)
    let data = this.#files.get(name)
    if (data === undefined) {
      data = { bytes: Buffer.alloc(0), size: 0, modifiedMs: Date.now() }
      this.#files.set(name, data)
    }
    return new MemoryFile(name, data, this)
  }

  readAll (name: string): Buffer | null {
    const data = this.#files.get(name)
    return data === undefined ? null : Buffer.from(data.bytes.subarray(0, data.size))
  }

  writeAtomic (name: string, data: Uint8Array): void {
    const fault = this.takeFault('writeAtomic')
    if (fault !== null) throw fsError(fault.code ?? 'ENOSPC', 'writeAtomic', name)
    const bytes = Buffer.from(data)
    this.#files.set(name, { bytes, size: bytes.length, modifiedMs: Date.now() })
  }

  remove (name: string): void { this.#files.delete(name) }

  modifiedMs (name: string): number {
    const data = this.#files.get(name)
    if (data === undefined) throw fsError('ENOENT', 'stat', name)
    return data.modifiedMs
  }

  /** Test hook: sets a file's modification time. */
  setModifiedMs (name: string, ms: number): void {
    const data = this.#files.get(name)
    if (data !== undefined) data.modifiedMs = ms
  }

  syncDir (): void {}
  destroy (): void { this.#files.clear() }
}
