/**
 * The cluster configuration payload (parse, format, node names) and the `config get` reply around
 * it: each decoder row whole, byte by byte and resumed byte by byte, plus properties.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  formatClusterConfig,
  nodeAddress,
  parseClusterConfig,
  type ClusterConfig,
  type ClusterNode,
} from '../../src/protocol/cluster-config.js'
import { decodeReply } from '../../src/protocol/decode.js'
import { encode } from '../../src/protocol/encode.js'
import { unknownCommand } from '../../src/protocol/error.js'
import * as Reply from '../../src/protocol/reply.js'
import * as R from '../../src/protocol/request.js'
import { bytes, decodeAll, oneByOne, splitAt, stepAll, wireText } from './support.js'

// The example of AWS's "Adding Auto Discovery to your client library" page, byte for byte.
const AWS_PAYLOAD =
  '12\nmyCluster.pc4ldq.0001.use1.cache.amazonaws.com|10.82.235.120|11211 myCluster.pc4ldq.0002.use1.cache.amazonaws.com|10.80.249.27|11211\n'
const AWS_WIRE = `CONFIG cluster 0 136\r\n${AWS_PAYLOAD}\r\nEND\r\n`
const AWS_CONFIG: ClusterConfig = {
  version: 12,
  nodes: [
    { host: 'myCluster.pc4ldq.0001.use1.cache.amazonaws.com', ip: '10.82.235.120', port: 11211 },
    { host: 'myCluster.pc4ldq.0002.use1.cache.amazonaws.com', ip: '10.80.249.27', port: 11211 },
  ],
}

describe('parseClusterConfig', () => {
  it('reads the AWS example, whose announced length (136) is the payload with both LFs', () => {
    expect(bytes(AWS_PAYLOAD).length).toBe(136)
    expect(parseClusterConfig(bytes(AWS_PAYLOAD))).toEqual(E.right(AWS_CONFIG))
  })

  const good: ReadonlyArray<readonly [string, string, ClusterConfig]> = [
    ['one node', '1\nlocalhost|127.0.0.1|11211\n', { version: 1, nodes: [{ host: 'localhost', ip: '127.0.0.1', port: 11211 }] }],
    ['a node without its ip (its pipes stay)', '3\nnode-a||11211\n', { version: 3, nodes: [{ host: 'node-a', ip: '', port: 11211 }] }],
    ['no final LF on the node line', '2\na|10.0.0.1|1\n'.slice(0, -1), { version: 2, nodes: [{ host: 'a', ip: '10.0.0.1', port: 1 }] }],
    ['an empty node list', '7\n\n', { version: 7, nodes: [] }],
    ['an IPv6 ip', '1\nh|::1|11211\n', { version: 1, nodes: [{ host: 'h', ip: '::1', port: 11211 }] }],
  ]
  it.each(good)('%s', (_name, payload, config) => {
    expect(parseClusterConfig(bytes(payload))).toEqual(E.right(config))
  })

  const bad: ReadonlyArray<readonly [string, string]> = [
    ['no LF at all', '12'],
    ['a version that is not a number', 'v12\na|1.2.3.4|1\n'],
    ['an empty version', '\na|1.2.3.4|1\n'],
    ['a negative version', '-1\na|1.2.3.4|1\n'],
    ['two fields', '1\na|11211\n'],
    ['four fields', '1\na|b|c|11211\n'],
    ['no host and no ip', '1\n||11211\n'],
    ['port 0', '1\na|b|0\n'],
    ['port 65536', '1\na|b|65536\n'],
    ['a CR before the LF (it would end up in the port)', '1\na|b|11211\r\n'],
    ['a third line', '1\na|b|11211\nmore\n'],
    ['two spaces between nodes', '1\na|b|1  c|d|2\n'],
  ]
  it.each(bad)('refuses %s with a ProtocolError', (_name, payload) => {
    const parsed = parseClusterConfig(bytes(payload))
    expect(E.isLeft(parsed) && parsed.left._tag).toBe('ProtocolError')
    expect(E.isLeft(parsed) && parsed.left.message).toMatch(/^cluster configuration: /)
  })
})

const nodeArbitrary: fc.Arbitrary<ClusterNode> = fc.record({
  host: fc.stringMatching(/^[a-z][a-z0-9.-]{0,30}$/),
  ip: fc.oneof(fc.constant(''), fc.ipV4()),
  port: fc.integer({ min: 1, max: 65535 }),
})
const configArbitrary: fc.Arbitrary<ClusterConfig> = fc.record({
  version: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).filter((n) => String(n).length <= 15),
  nodes: fc.array(nodeArbitrary, { maxLength: 20 }),
})

describe('formatClusterConfig', () => {
  it('writes the AWS example byte for byte', () => {
    expect(new TextDecoder().decode(formatClusterConfig(AWS_CONFIG))).toBe(AWS_PAYLOAD)
  })

  it('round-trips through parseClusterConfig (property)', () => {
    fc.assert(
      fc.property(configArbitrary, (config) => {
        expect(parseClusterConfig(formatClusterConfig(config))).toEqual(E.right(config))
      }),
    )
  })
})

describe('nodeAddress', () => {
  const node = { host: 'a.cache.amazonaws.com', ip: '10.0.0.1', port: 11211 }
  it('names a node by its ip by default, by its host when told', () => {
    expect(nodeAddress(node)).toBe('10.0.0.1:11211')
    expect(nodeAddress(node, 'host')).toBe('a.cache.amazonaws.com:11211')
  })
  it('falls back to the host without an ip, to the ip without a host, and brackets IPv6', () => {
    expect(nodeAddress({ ...node, ip: '' })).toBe('a.cache.amazonaws.com:11211')
    expect(nodeAddress({ ...node, host: '' }, 'host')).toBe('10.0.0.1:11211')
    expect(nodeAddress({ ...node, ip: '::1' })).toBe('[::1]:11211')
  })
})

// -------------------------------------------------------------------------------------
// the CONFIG reply: one table, whole and byte by byte
// -------------------------------------------------------------------------------------

interface Row {
  readonly name: string
  readonly wire: Uint8Array
  readonly expected: E.Either<string, Reply.Reply>
}

const row = (name: string, wire: string, reply: Reply.Reply): Row => ({ name, wire: bytes(wire), expected: E.right(reply) })
const refused = (name: string, wire: string): Row => ({ name, wire: bytes(wire), expected: E.left('ProtocolError') })

const rows: ReadonlyArray<Row> = [
  row('the AWS example', AWS_WIRE, Reply.clusterConfigReply(AWS_CONFIG)),
  row('an empty list', 'CONFIG cluster 0 3\r\n1\n\n\r\nEND\r\n', Reply.clusterConfigReply({ version: 1, nodes: [] })),
  row('plain memcached: ERROR', 'ERROR\r\n', Reply.failure(unknownCommand(''))),
  row('a payload holding END is located by its length', 'CONFIG cluster 0 13\r\n1\nEND||11211\n\r\nEND\r\n', Reply.clusterConfigReply({ version: 1, nodes: [{ host: 'END', ip: '', port: 11211 }] })),
  refused('a header naming another key', 'CONFIG other 0 3\r\n1\n\n\r\nEND\r\n'),
  refused('a header without a length', 'CONFIG cluster 0\r\n'),
  refused('a header with a length that is not a number', 'CONFIG cluster 0 x\r\n'),
  refused('a VALUE block instead', 'VALUE cluster 0 3\r\n1\n\n\r\nEND\r\n'),
  refused('a payload shorter than announced', 'CONFIG cluster 0 4\r\n1\n\n\r\nEND\r\nX'),
  refused('no END after the payload', 'CONFIG cluster 0 3\r\n1\n\n\r\nEMD\r\n'),
  refused('a malformed payload', 'CONFIG cluster 0 3\r\nx\n\n\r\nEND\r\n'),
]

describe.each(rows)('decode config get: $name', (each) => {
  const request = R.configGet()
  const whole = decodeAll(request, [each.wire])

  it('whole', () => {
    if (E.isRight(each.expected)) expect(whole.result).toEqual(E.right(O.some([each.expected.right, each.wire.length])))
    else expect(E.isLeft(whole.result) && whole.result.left._tag).toBe(each.expected.left)
  })

  it('byte by byte', () => {
    const byByte = decodeAll(request, oneByOne(each.wire))
    expect(byByte.result).toEqual(whole.result)
    if (E.isRight(each.expected)) expect(byByte.fed).toBe(each.wire.length)
  })

  it('resumed byte by byte, the reply moving between calls', () => {
    expect(stepAll(request, oneByOne(each.wire), { moving: true }).result).toEqual(whole.result)
  })

  it('resumed, called only once the bytes it needs are there', () => {
    expect(stepAll(request, oneByOne(each.wire), { honourNeeded: true }).result).toEqual(whole.result)
  })
})

describe('decode config get: details', () => {
  it('reads the header once, then asks for the payload, CRLF and END at once', () => {
    const stepped = stepAll(R.configGet(), oneByOne(bytes(AWS_WIRE)), { honourNeeded: true })
    // Two calls per header byte at most, then one for the whole payload: far fewer calls than bytes.
    expect(stepped.calls).toBeLessThan(30)
    expect(stepped.result).toEqual(E.right(O.some([Reply.clusterConfigReply(AWS_CONFIG), bytes(AWS_WIRE).length])))
  })

  it('decodes at an offset, followed by the next reply', () => {
    const buffer = bytes('xx', AWS_WIRE, 'STORED\r\n')
    expect(decodeReply(R.configGet(), buffer, 2)).toEqual(E.right(O.some([Reply.clusterConfigReply(AWS_CONFIG), 2 + bytes(AWS_WIRE).length])))
  })

  it('a payload over maxStatsSize is refused on its header', () => {
    const result = decodeReply(R.configGet(), bytes('CONFIG cluster 0 99999\r\n'), 0, { maxValueSize: 1024, maxStatsSize: 1024 })
    expect(E.isLeft(result) && result.left._tag).toBe('ProtocolError')
  })

  it('any formatted config decodes back to itself, however the bytes are cut (property)', () => {
    fc.assert(
      fc.property(configArbitrary, fc.array(fc.nat(), { maxLength: 6 }), (config, cuts) => {
        const payload = formatClusterConfig(config)
        const wire = bytes(`CONFIG cluster 0 ${payload.length}\r\n`, payload, '\r\nEND\r\n')
        const chunks = splitAt(wire, cuts.map((cut) => cut % (wire.length + 1)))
        const expected = E.right(O.some([Reply.clusterConfigReply(config), wire.length]))
        expect(decodeAll(R.configGet(), chunks).result).toEqual(expected)
        expect(stepAll(R.configGet(), chunks, { moving: true }).result).toEqual(expected)
      }),
    )
  })
})

describe('encode config get', () => {
  it('is one line; a key with a space is refused', () => {
    const encoded = encode(R.configGet())
    expect(E.isRight(encoded) && wireText(encoded.right)).toBe('config get cluster\r\n')
    const bad = encode(R.configGet('a b'))
    expect(E.isLeft(bad) && bad.left._tag).toBe('InvalidKey')
  })
})
