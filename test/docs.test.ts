/**
 * The API documentation is complete: every export of every package subpath (read from
 * package.json's `exports`, so a new subpath is covered the day it is added) has TSDoc, and every
 * exported function has an `@example`. `npm run docs` turns the same comments into docs/api.
 */
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

  it('every public export has TSDoc, and every function an example', { timeout: 60_000 }, () => {
    expect(undocumentedExports().map((gap) => `${gap.file}:${gap.line} ${gap.name} (${gap.entry}): ${gap.problem}`)).toEqual([])
  })
})
