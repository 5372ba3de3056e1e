/**
 * A parser for java.util.Properties text, the format of Kafka's `server.properties`:
 * `#` and `!` comment lines, `key=value`, `key: value` and `key value`, a line ending in an odd
 * number of backslashes continued on the next one (whose leading blanks are dropped), and the
 * escapes `\t \n \r \f \uXXXX` (any other escaped character stands for itself, so `\=`, `\:`,
 * `\ ` and `\\` put those in keys and values). Java reads bytes as ISO-8859-1; this parser
 * takes a decoded string, and the CLI reads files as UTF-8 (the same for ASCII files).
 *
 * Unlike java.util.Properties it keeps every entry with its line number, so that callers can
 * name the line of a bad value or of a key set twice; a malformed `\u` escape is an error
 * rather than Java's IllegalArgumentException without a line.
 */

export interface PropertyEntry {
  key: string
  value: string
  /** 1-based line on which the entry starts. */
  line: number
}

export class PropertiesSyntaxError extends Error {
  readonly line: number

  constructor (line: number, message: string) {
    super(`line ${line}: ${message}`)
    this.name = 'PropertiesSyntaxError'
    this.line = line
  }
}

/** Java's whitespace for properties: space, tab and form feed (line ends split lines). */
function isBlank (c: string): boolean {
  return c === ' ' || c === '\t' || c === '\f'
}

/** Whether `text` ends in an odd number of backslashes: the last one continues the line. */
function endsInContinuation (text: string): boolean {
  let n = 0
  for (let i = text.length - 1; i >= 0 && text[i] === '\\'; i--) n++
  return n % 2 === 1
}

function skipBlanks (text: string, from: number): number {
  let i = from
  while (i < text.length && isBlank(text[i]!)) i++
  return i
}

/** Resolves the escapes of one key or value. */
function unescape (text: string, line: number): string {
  if (!text.includes('\\')) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== '\\') { out += c; continue }
    const next = text[++i]
    if (next === undefined) break // a lone backslash at the end of the file: Java drops it
    switch (next) {
      case 't': out += '\t'; break
      case 'n': out += '\n'; break
      case 'r': out += '\r'; break
      case 'f': out += '\f'; break
      case 'u': {
        const hex = text.slice(i + 1, i + 5)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PropertiesSyntaxError(line, `malformed \\u escape '\\u${hex}' (needs four hex digits)`)
        out += String.fromCharCode(parseInt(hex, 16))
        i += 4
        break
      }
      default: out += next
    }
  }
  return out
}

/** Splits a logical line (continuations joined, leading blanks gone) into its raw key and value. */
function splitKeyValue (logical: string): { key: string, value: string } {
  let i = 0
  while (i < logical.length) {
    const c = logical[i]!
    if (c === '\\') { i += 2; continue }
    if (c === '=' || c === ':' || isBlank(c)) break
    i++
  }
  const key = logical.slice(0, Math.min(i, logical.length))
  let j = skipBlanks(logical, i)
  if (logical[j] === '=' || logical[j] === ':') j = skipBlanks(logical, j + 1)
  return { key, value: logical.slice(j) }
}

/** Every entry of a properties text, in file order (a repeated key appears each time it is set). */
export function parseProperties (text: string): PropertyEntry[] {
  const lines = text.split(/\r\n|\r|\n/)
  const entries: PropertyEntry[] = []
  for (let n = 0; n < lines.length; n++) {
    const first = lines[n]!
    const start = skipBlanks(first, 0)
    if (start === first.length) continue
    if (first[start] === '#' || first[start] === '!') continue // comments never continue
    const line = n + 1
    let logical = first.slice(start)
    while (endsInContinuation(logical) && n + 1 < lines.length) {
      const next = lines[++n]!
      logical = logical.slice(0, -1) + next.slice(skipBlanks(next, 0))
    }
    const { key, value } = splitKeyValue(logical)
    entries.push({ key: unescape(key, line), value: unescape(value, line), line })
  }
  return entries
}
