/**
 * How each error is classified: which ones another attempt may cure (`isTransient`, what retry
 * and node health act on) and which ones leave a connection out of step (`isFatalToConnection`).
 * One row per tag of `MemcacheError`, typed so that a new error needs a row.
 */
import { describe, expect, it } from 'vitest'
import {
  aborted,
  authError,
  clientError,
  connectError,
  connectionClosed,
  invalidArgument,
  invalidKey,
  isFatalToConnection,
  isTransient,
  noServers,
  overloaded,
  poolExhausted,
  protocolError,
  serdeError,
  serverError,
  timeout,
  unknownCommand,
  valueTooLarge,
  type MemcacheError,
} from '../src/error.js'

interface Row {
  readonly error: MemcacheError
  readonly transient: boolean
  readonly fatalToConnection: boolean
}

const rows: { readonly [K in MemcacheError['_tag']]: Row } = {
  InvalidKey: { error: invalidKey('a b', 'whitespace at byte 1'), transient: false, fatalToConnection: false },
  InvalidArgument: { error: invalidArgument('exptime', 'not an integer'), transient: false, fatalToConnection: false },
  ValueTooLarge: { error: valueTooLarge('k', 2_000_000), transient: false, fatalToConnection: false },
  ClientError: { error: clientError('bad data chunk'), transient: false, fatalToConnection: false },
  ServerError: { error: serverError('out of memory storing object'), transient: true, fatalToConnection: false },
  UnknownCommand: { error: unknownCommand(''), transient: false, fatalToConnection: false },
  ProtocolError: { error: protocolError('expected END'), transient: false, fatalToConnection: true },
  ConnectError: { error: connectError('a:1', 'ECONNREFUSED', 'refused'), transient: true, fatalToConnection: false },
  Timeout: { error: timeout(50, 'get', 'a:1'), transient: true, fatalToConnection: true },
  ConnectionClosed: { error: connectionClosed('a:1', 'reset by peer'), transient: true, fatalToConnection: true },
  Overloaded: { error: overloaded(1_000), transient: true, fatalToConnection: false },
  AuthError: { error: authError('a:1', 'refused'), transient: false, fatalToConnection: false },
  Aborted: { error: aborted('get', 'user left'), transient: false, fatalToConnection: false },
  PoolExhausted: { error: poolExhausted(100), transient: true, fatalToConnection: false },
  NoServers: { error: noServers('every node is down'), transient: true, fatalToConnection: false },
  SerdeError: { error: serdeError(2, 'not JSON'), transient: false, fatalToConnection: false },
}

describe.each(Object.entries(rows).map(([tag, row]) => ({ tag, ...row })))('$tag', ({ tag, error, transient, fatalToConnection }) => {
  it('is the row of its tag', () => {
    expect(error._tag).toBe(tag)
  })

  it(`is ${transient ? '' : 'not '}transient`, () => {
    expect(isTransient(error)).toBe(transient)
  })

  it(`is ${fatalToConnection ? '' : 'not '}fatal to the connection`, () => {
    expect(isFatalToConnection(error)).toBe(fatalToConnection)
  })
})
