/**
 * Our side of the wire for the serde interop suites: one `connect` connection, and `get`/`set`
 * of `Encoded` values through it.
 */
import { execFile } from 'node:child_process'
import * as E from 'fp-ts/lib/Either.js'
import { expect } from 'vitest'
import * as Request from '../../src/protocol/request.js'
import type { Encoded } from '../../src/serde/serde.js'
import { connect, type Connection } from '../../src/transport/connection.js'

export const open = async (server: string): Promise<Connection> => {
  const opened = await connect({ server, timeout: 5000 })()
  if (E.isLeft(opened)) throw new Error(`cannot connect to ${server}: ${opened.left.message}`)
  return opened.right
}

/** The bytes and flags stored under `key`, or `undefined` on a miss. */
export const fetchEncoded = async (connection: Connection, key: string): Promise<Encoded | undefined> => {
  const reply = await connection.send(Request.get([key]))()
  if (E.isLeft(reply)) throw new Error(`get ${key}: ${reply.left.message}`)
  if (reply.right._tag !== 'Values') throw new Error(`get ${key}: unexpected reply ${reply.right._tag}`)
  const item = reply.right.items[0]
  return item === undefined ? undefined : { bytes: item.value, flags: item.flags }
}

export const storeEncoded = async (connection: Connection, key: string, encoded: Encoded): Promise<void> => {
  const reply = await connection.send(Request.set(key, encoded.bytes, { flags: encoded.flags }))()
  if (E.isLeft(reply)) throw new Error(`set ${key}: ${reply.left.message}`)
  expect(reply.right._tag).toBe('Stored')
}

/** Runs `/usr/bin/python3 -c script` with `input` on stdin; resolves stdout. */
export const runPython = (script: string, input: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', script], { maxBuffer: 64 * 1024 * 1024, timeout: 15_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`python failed: ${error.message}\n${stderr}`))
      else resolve(stdout)
    })
    child.stdin?.end(input)
  })
