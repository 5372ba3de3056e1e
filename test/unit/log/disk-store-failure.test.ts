import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DiskStore } from '../../../src/log/store.js'
import { removeDir, tmpDir } from '../../helpers/tmp-dir.js'

function code (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as NodeJS.ErrnoException).code
  }
  return undefined
}

test('a failed DiskStore throws EIO from every fs call, its open files too, but still releases descriptors', () => {
  const dir = tmpDir('millrace-disk-fail-')
  try {
    const store = new DiskStore(dir)
    const file = store.open('00000000000000000000.log')
    assert.is(file.write(Buffer.from('abc'), 0, 3, 0), 3)
    assert.not.ok(store.failed)
    store.fail()
    assert.ok(store.failed)
    assert.is(code(() => file.write(Buffer.from('d'), 0, 1, 3)), 'EIO')
    assert.is(code(() => file.read(Buffer.alloc(3), 0, 3, 0)), 'EIO')
    assert.is(code(() => file.sync()), 'EIO')
    assert.is(code(() => file.truncate(0)), 'EIO')
    assert.is(code(() => store.open('other.log')), 'EIO')
    assert.is(code(() => store.list()), 'EIO')
    assert.is(code(() => store.readAll('00000000000000000000.log')), 'EIO')
    assert.is(code(() => store.writeAtomic('x', Buffer.from('x'))), 'EIO')
    assert.is(code(() => store.remove('x')), 'EIO')
    assert.is(code(() => store.syncDir()), 'EIO')
    file.close()
    assert.ok(file.closed)
  } finally {
    removeDir(dir)
  }
})

test.run()
