/**
 * The console's files: the pages' modules and styles in ./static (shipped as they are, no build
 * step) and Chart.js from its package. Only names listed at start are served, so a request
 * path can never reach another file. Files are read once and kept.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * From dist/src/http/console/ (the build, and the installed package) four levels up is the
 * package root, where src/http/console/static ships as it is (package.json "files").
 */
export const STATIC_DIR = fileURLToPath(new URL('../../../../src/http/console/static/', import.meta.url))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml'
}

export interface Asset { body: Buffer, contentType: string }

export class StaticAssets {
  readonly #files = new Map<string, string>()
  readonly #cache = new Map<string, Asset>()

  constructor (dir = STATIC_DIR) {
    for (const name of readdirSync(dir)) {
      if (CONTENT_TYPES[extname(name)] !== undefined) this.#files.set(name, join(dir, name))
    }
    const chartDir = dirname(createRequire(import.meta.url).resolve('chart.js'))
    this.#files.set('chart.umd.min.js', join(chartDir, 'chart.umd.min.js'))
  }

  /** The asset named `name`, or undefined for any name not served. */
  get (name: string): Asset | undefined {
    const cached = this.#cache.get(name)
    if (cached !== undefined) return cached
    const path = this.#files.get(name)
    if (path === undefined) return undefined
    const asset = { body: readFileSync(path), contentType: CONTENT_TYPES[extname(path)]! }
    this.#cache.set(name, asset)
    return asset
  }
}
