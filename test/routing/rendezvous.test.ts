import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { makeRendezvous, ownerOf, rendezvous } from '../../src/routing/rendezvous.js'
import { randomKeys, runPython } from './support.js'

const placeAll = (nodes: ReadonlyArray<string>, keys: ReadonlyArray<string>) => {
  const placement = rendezvous.place(nodes)
  return keys.map((key) => O.toUndefined(placement.ownerOf(key)))
}

describe('rendezvous placement', () => {
  it("places pymemcache's own test vectors", () => {
    const owner = (nodes: ReadonlyArray<string>, key: string) => ownerOf(nodes)(key)
    expect(['ok', 'mykey', 'wat', 'lol'].map((key) => owner(['0', '1', '2'], key))).toEqual([O.some('0'), O.some('1'), O.some('2'), O.some('2')])
    expect(['ok', 'mykey', 'wat'].map((key) => owner(['0', '2'], key))).toEqual([O.some('0'), O.some('0'), O.some('2')])
    expect(['ok', 'mykey', 'wat', 'lol'].map((key) => owner(['0', '1', '2', '3'], key))).toEqual([O.some('0'), O.some('1'), O.some('2'), O.some('3')])
    expect(owner([], 'k')).toEqual(O.none)
  })

  it("moves as many keys as pymemcache's grow and shrink tests say", () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => String(i))
    const keys = Array.from({ length: 1000 }, (_, i) => String(i))
    const moved = (before: ReadonlyArray<string | undefined>, after: ReadonlyArray<string | undefined>) =>
      before.filter((owner, i) => owner !== after[i]).length
    // pymemcache counts each moved key twice (removed from one node, added to another).
    expect(2 * moved(placeAll(names(10), keys), placeAll(names(20), keys))).toBe(1062)
    expect(2 * moved(placeAll(names(10), keys), placeAll(names(9), keys))).toBe(202)
  })

  it('gives a tie to the greater node name, whatever the order', () => {
    const constant = makeRendezvous(() => 1337)
    expect(constant.place(['c', 'b', 'a']).ownerOf('k')).toEqual(O.some('c'))
    expect(constant.place(['a', 'b', 'c']).ownerOf('k')).toEqual(O.some('c'))
    expect(constant.place(['1', '2', '3', 'a', 'b', 'lol.wat.com']).ownerOf('k')).toEqual(O.some('lol.wat.com'))
    expect(constant.place(['1', 'a', '0']).preferenceOf('k')).toEqual(['a', '1', '0'])
  })

  it('lists the preference order owner first, each next one the owner once those before are gone', () => {
    const nodes = ['127.0.0.1:11211', '127.0.0.1:11212', '127.0.0.1:11213', '127.0.0.1:11214']
    for (const key of randomKeys(11, 300)) {
      const order = rendezvous.place(nodes).preferenceOf(key)
      expect(O.some(order[0])).toEqual(rendezvous.place(nodes).ownerOf(key))
      for (let i = 1; i < order.length; i++) {
        expect(rendezvous.place(nodes.filter((node) => !order.slice(0, i).includes(node))).ownerOf(key)).toEqual(O.some(order[i]))
      }
    }
  })

  it("places thousands of random keys on the same node as pymemcache's RendezvousHash", () => {
    const clusters = [
      ['127.0.0.1:11211'],
      ['127.0.0.1:11211', '127.0.0.1:11212'],
      ['127.0.0.1:40001', '127.0.0.1:40002', '127.0.0.1:40003'],
      ['cache-a.example.com:11211', 'cache-b.example.com:11211', 'cache-c.example.com:11311', '10.0.0.7:11211', '[::1]:11211'],
      Array.from({ length: 10 }, (_, i) => `10.1.2.${i}:11211`),
    ]
    const keys = randomKeys(42, 2000, { maxLength: 80, unicodeEvery: 10 })
    const expected = runPython<ReadonlyArray<ReadonlyArray<string>>>(
      [
        'import json, sys',
        'from pymemcache.client.rendezvous import RendezvousHash',
        'data = json.load(sys.stdin)',
        'out = []',
        'for nodes in data["clusters"]:',
        '    hasher = RendezvousHash()',
        '    for node in nodes: hasher.add_node(node)',
        '    out.append([hasher.get_node(key) for key in data["keys"]])',
        'print(json.dumps(out))',
      ].join('\n'),
      { clusters, keys },
    )
    clusters.forEach((nodes, index) => expect(placeAll(nodes, keys)).toEqual(expected[index]))
  })
})
