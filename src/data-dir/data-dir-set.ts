/**
 * Every data dir of a broker, created if missing and locked, as one: a start takes them all or
 * none, so a second broker on any one of them is refused with that dir's lock message, and no
 * dir stays locked by a start that failed on another.
 */
import { DataDirLock } from './lock.js'
import { prepareDataDir } from './prepare.js'

export class DataDirSet {
  readonly #locks: readonly DataDirLock[]
  #released: Promise<void> | null = null

  private constructor (locks: readonly DataDirLock[]) {
    this.#locks = locks
  }

  /** Prepares and locks each dir in order; throws the first refusal (MR_ERR_DATA_DIR_LOCKED or _UNUSABLE) after releasing the others. */
  static async acquire (dataDirs: readonly string[]): Promise<DataDirSet> {
    const locks: DataDirLock[] = []
    try {
      for (const dir of dataDirs) {
        await prepareDataDir(dir)
        locks.push(await DataDirLock.acquire(dir))
      }
    } catch (err) {
      await Promise.allSettled(locks.map((l) => l.release()))
      throw err
    }
    return new DataDirSet(locks)
  }

  release (): Promise<void> {
    this.#released ??= Promise.allSettled(this.#locks.map((l) => l.release())).then((results) => {
      const failed = results.find((r) => r.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    })
    return this.#released
  }
}
