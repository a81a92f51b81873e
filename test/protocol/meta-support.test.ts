import { describe, expect, it } from 'vitest'
import * as M from '../../src/protocol/meta.js'
import { featuresOf, isAtLeast, parseServerVersion, unsupportedBy } from '../../src/protocol/meta-support.js'

const value = new Uint8Array(1)

describe('meta support: which server knows what', () => {
  it.each([
    ['1.6.18', [1, 6, 18]],
    ['1.4.5-debian', [1, 4, 5]],
    [' 1.6.21 ', [1, 6, 21]],
    ['custom', undefined],
  ])('parses %s', (text, expected) => expect(parseServerVersion(text)).toEqual(expected))

  it.each([
    [[1, 6, 18], [1, 6, 10], true],
    [[1, 6, 10], [1, 6, 10], true],
    [[1, 6, 9], [1, 6, 10], false],
    [[2, 0, 0], [1, 6, 13], true],
    [[1, 5, 99], [1, 6, 0], false],
  ] as const)('%j at least %j: %s', (version, since, expected) => expect(isAtLeast(version, since)).toBe(expected))

  const rows: ReadonlyArray<readonly [string, M.MetaRequest, string | undefined]> = [
    ['1.5.22', M.metaGet('a'), 'mg'],
    ['1.6.9', M.metaNoop, 'mn'],
    ['1.6.10', M.metaGet('a', { returnValue: true, vivify: 30 }), undefined],
    ['1.6.10', M.metaSet('k', value), undefined],
    ['1.6.12', M.metaSet('k', value, { returnCas: true }), 'ms flag c (return cas)'],
    ['1.6.13', M.metaSet('k', value, { returnCas: true }), undefined],
    ['1.6.12', M.metaBatch([M.metaGet('a'), M.metaSet('k', value, { returnCas: true })]), 'ms flag c (return cas)'],
    ['1.6.18', M.metaBatch([M.metaGet('a'), M.metaSet('k', value, { returnCas: true })]), undefined],
    ['not-a-version', M.metaGet('a'), undefined],
  ]
  it.each(rows)('server %s, %j: refused by %s', (version, request, refusedBy) => {
    const refusal = unsupportedBy(version)(request)
    expect(refusal?.argument).toBe(refusedBy)
    if (refusal !== undefined) expect(refusal.message).toContain(version)
  })

  it('a batch needs mn and every member feature', () => {
    expect(featuresOf(M.metaBatch([M.metaDelete('a')])).map((feature) => feature.name)).toEqual(['mn', 'md'])
  })
})
