import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseProperties, PropertiesSyntaxError } from '../../../src/config/properties-file.js'

/** The entries of `text` as [key, value] pairs. */
function pairs (text: string): Array<[string, string]> {
  return parseProperties(text).map((e) => [e.key, e.value])
}

const separators = suite('properties: keys, separators and comments')

separators('=, : and blanks separate a key from its value; blanks around them are dropped', () => {
  assert.equal(pairs('a=1\nb: 2\nc 3\nd   =   4\n\te\t:\t5\nf'), [['a', '1'], ['b', '2'], ['c', '3'], ['d', '4'], ['e', '5'], ['f', '']])
})

separators('only the first separator counts: later = and : belong to the value', () => {
  assert.equal(pairs('listeners=PLAINTEXT://:9092\nmap: A:B,C:D\nx = = y'), [['listeners', 'PLAINTEXT://:9092'], ['map', 'A:B,C:D'], ['x', '= y']])
})

separators('trailing blanks stay in the value, as Java keeps them', () => {
  assert.equal(pairs('a=one  '), [['a', 'one  ']])
})

separators('# and ! start comments, after leading blanks too; blank lines are skipped', () => {
  assert.equal(pairs('# a comment\n   ! another\n\n   \nkey=value # not a comment'), [['key', 'value # not a comment']])
})

separators('\\n, \\r\\n and \\r all end lines', () => {
  assert.equal(pairs('a=1\r\nb=2\rc=3\n'), [['a', '1'], ['b', '2'], ['c', '3']])
})

separators('each entry keeps its line; a key set twice appears twice', () => {
  const entries = parseProperties('# head\na=1\n\na=2\n')
  assert.equal(entries, [{ key: 'a', value: '1', line: 2 }, { key: 'a', value: '2', line: 4 }])
})

separators.run()

// ---

const continuations = suite('properties: continued lines')

continuations('a line ending in one backslash goes on with the next, whose leading blanks are dropped', () => {
  const entries = parseProperties('log.dirs=/a,\\\n         /b\nnext=1')
  assert.equal(entries, [{ key: 'log.dirs', value: '/a,/b', line: 1 }, { key: 'next', value: '1', line: 3 }])
})

continuations('several continuations join into one value', () => {
  assert.equal(pairs('k = one \\\n  two \\\n  three'), [['k', 'one two three']])
})

continuations('an even number of backslashes is escaped backslashes, not a continuation', () => {
  assert.equal(pairs('path=C:\\\\dir\\\\\nnext=1'), [['path', 'C:\\dir\\'], ['next', '1']])
})

continuations('a comment ending in a backslash does not continue', () => {
  assert.equal(pairs('# comment \\\na=1'), [['a', '1']])
})

continuations('an empty line after a continuation ends the value', () => {
  assert.equal(pairs('a=1\\\n\n  b=2'), [['a', '1'], ['b', '2']])
})

continuations('a continuation on the last line ends the value there', () => {
  assert.equal(pairs('a=1\\'), [['a', '1']])
})

continuations.run()

// ---

const escapes = suite('properties: escapes')

escapes('\\t \\n \\r \\f stand for their control characters', () => {
  assert.equal(pairs('a=x\\ty\\nz\\r\\f'), [['a', 'x\ty\nz\r\f']])
})

escapes('\\uXXXX is a UTF-16 code unit, in either case', () => {
  assert.equal(pairs('name=caf\\u00e9 \\u00C9t\\u00e9\nsmile=\\ud83d\\ude00'), [['name', 'café Été'], ['smile', '😀']])
})

escapes('escaped separators, blanks and backslashes stay in keys and values', () => {
  assert.equal(pairs('a\\=b\\:c\\ d=\\ lead\\\\back\\#'), [['a=b:c d', ' lead\\back#']])
})

escapes('a backslash before any other character stands for that character', () => {
  assert.equal(pairs('k=\\q\\z'), [['k', 'qz']])
})

escapes('a malformed \\u escape is an error naming its line', () => {
  try {
    parseProperties('ok=1\nbad=\\u12g4')
  } catch (err) {
    assert.ok(err instanceof PropertiesSyntaxError)
    assert.is((err as PropertiesSyntaxError).line, 2)
    assert.is((err as Error).message, "line 2: malformed \\u escape '\\u12g4' (needs four hex digits)")
    return
  }
  assert.unreachable('accepted a malformed \\u escape')
})

escapes('a \\u escape cut short by the end of the line is an error too', () => {
  assert.throws(() => parseProperties('k=\\u00'), /line 1: malformed \\u escape/)
})

escapes.run()
