/**
 * Requests as values: the keys they name, the command name errors and metrics use, which ones
 * expect no reply, which may be retried, and the key prefix they carry.
 */
import { describe, expect, it } from 'vitest'
import * as Request from '../../src/protocol/request.js'

const value = new Uint8Array([1])

describe('isIdempotent', () => {
  const value = new Uint8Array([1])
  it.each([
    ['get', Request.get(['a']), true],
    ['gat', Request.gat(10, ['a']), true],
    ['set', Request.set('a', value), true],
    ['replace', Request.store('replace', 'a', value), true],
    ['delete', Request.del('a'), true],
    ['touch', Request.touch('a', 10), true],
    ['stats', Request.stats(), true],
    ['add: a retried add that landed reports NotStored', Request.store('add', 'a', value), false],
    ['append', Request.store('append', 'a', value), false],
    ['prepend', Request.store('prepend', 'a', value), false],
    ['cas', Request.cas('a', value, 1n), false],
    ['incr', Request.incr('a', 1n), false],
    ['decr', Request.decr('a', 1n), false],
    ['set noreply', Request.set('a', value, { noreply: true }), false],
    ['delete noreply', Request.del('a', true), false],
    ['raw', Request.raw('get a', 'values'), false],
    ['quit', Request.quit, false],
  ] as const)('%s', (_name, request, expected) => {
    expect(Request.isIdempotent(request)).toBe(expected)
  })
})

describe('keysOf', () => {
  it.each([
    ['get', Request.get(['a', 'b', 'a']), ['a', 'b', 'a']],
    ['gats', Request.gats(5, ['x']), ['x']],
    ['set', Request.set('k', value), ['k']],
    ['cas', Request.cas('k', value, 1n), ['k']],
    ['delete', Request.del('k'), ['k']],
    ['incr', Request.incr('n', 1n), ['n']],
    ['touch', Request.touch('k', 1), ['k']],
    ['stats', Request.stats(), []],
    ['version', Request.version, []],
    ['raw naming a key in its line', Request.raw('get k', 'values'), []],
  ] as const)('%s', (_name, request, expected) => {
    expect(Request.keysOf(request)).toEqual(expected)
  })

  it('names the keys as the caller wrote them, without a prefix the request carries', () => {
    expect(Request.keysOf(Request.prefixed('app:')(Request.get(['a', 'b'])))).toEqual(['a', 'b'])
  })
})

describe('commandName', () => {
  it.each([
    ['get', Request.get(['a'])],
    ['gets', Request.gets(['a'])],
    ['gat', Request.gat(1, ['a'])],
    ['gats', Request.gats(1, ['a'])],
    ['set', Request.set('k', value)],
    ['add', Request.store('add', 'k', value)],
    ['prepend', Request.store('prepend', 'k', value)],
    ['cas', Request.cas('k', value, 1n)],
    ['delete', Request.del('k')],
    ['incr', Request.incr('n', 1n)],
    ['decr', Request.decr('n', 1n)],
    ['touch', Request.touch('k', 1)],
    ['stats', Request.stats('items')],
    ['flush_all', Request.flushAll()],
    ['version', Request.version],
    ['verbosity', Request.verbosity(1)],
    ['cache_memlimit', Request.cacheMemlimit(64)],
    ['quit', Request.quit],
    ['shutdown', Request.shutdown()],
    ['lru_crawler', Request.raw('lru_crawler metadump all', 'line')],
  ] as const)('%s', (expected, request) => {
    expect(Request.commandName(request)).toBe(expected)
  })
})

describe('expectsNoReply', () => {
  it.each([
    ['get', Request.get(['a']), false],
    ['stats', Request.stats(), false],
    ['version', Request.version, false],
    ['set', Request.set('k', value), false],
    ['set noreply', Request.set('k', value, { noreply: true }), true],
    ['delete noreply', Request.del('k', true), true],
    ['flush_all noreply', Request.flushAll(0, true), true],
    ['verbosity noreply', Request.verbosity(1, true), true],
    ['quit', Request.quit, true],
    ['shutdown', Request.shutdown(true), true],
    ['raw expecting none', Request.raw('verbosity 1 noreply', 'none'), true],
    ['raw expecting a line', Request.raw('verbosity 1', 'line'), false],
  ] as const)('%s', (_name, request, expected) => {
    expect(Request.expectsNoReply(request)).toBe(expected)
  })
})

describe('prefixed', () => {
  it('copies a keyed request with the prefix, leaving the original as it was', () => {
    const request = Request.get(['a'])
    const copy = Request.prefixed('app:')(request)
    expect(copy).toEqual({ _tag: 'Get', keys: ['a'], prefix: 'app:' })
    expect(request).toEqual({ _tag: 'Get', keys: ['a'] })
  })

  it('puts a later prefix in front of one already there', () => {
    expect(Request.prefixed('outer:')(Request.prefixed('inner:')(Request.del('k'))).prefix).toBe('outer:inner:')
  })

  it('returns the same request for the empty prefix and for requests without keys', () => {
    const keyed = Request.set('k', value)
    const unkeyed = [Request.stats(), Request.version, Request.raw('get k', 'values'), Request.flushAll()]
    expect(Request.prefixed('')(keyed)).toBe(keyed)
    for (const request of unkeyed) expect(Request.prefixed('app:')(request)).toBe(request)
  })
})
