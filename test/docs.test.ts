/**
 * The API documentation is complete: every export of every package subpath (read from
 * package.json's `exports`, so a new subpath is covered the day it is added) has TSDoc, and every
 * exported function has an `@example`. `npm run docs` turns the same comments into docs/api.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { publicEntries, undocumentedExports } from '../scripts/tsdoc-coverage.js'

describe('API documentation', () => {
  it('reads every subpath of the package', () => {
    expect(Object.keys(publicEntries())).toEqual(expect.arrayContaining(['.', './protocol', './transport', './serde', './routing', './pool', './emulator']))
  })

  it('finds an export without TSDoc', () => {
    // The checker itself must see gaps, or an empty list would prove nothing: the test file's
    // own helper module is checked as if it were an entry.
    const gaps = undocumentedExports(['test/docs-fixture.ts'])
    expect(gaps.map((gap) => `${gap.name}: ${gap.problem}`)).toEqual(['bare: no TSDoc', 'withoutExample: no @example'])
  })

  it('typedoc documents every subpath of the package', () => {
    const config = JSON.parse(readFileSync('typedoc.json', 'utf8')) as { readonly entryPoints: ReadonlyArray<string> }
    expect([...config.entryPoints].sort()).toEqual(Object.values(publicEntries()).sort())
  })

  it('npm run docs succeeds: typedoc, warnings as errors, finds nothing to complain about', { timeout: 120_000 }, () => {
    const typedoc = spawnSync(process.execPath, ['node_modules/typedoc/bin/typedoc', '--emit', 'none'], { encoding: 'utf8' })
    expect(typedoc.stdout + typedoc.stderr).not.toMatch(/\[(warning|error)\]/)
    expect(typedoc.status).toBe(0)
  })

  it('every public export has TSDoc, and every function an example', { timeout: 60_000 }, () => {
    expect(undocumentedExports().map((gap) => `${gap.file}:${gap.line} ${gap.name} (${gap.entry}): ${gap.problem}`)).toEqual([])
  })
})
