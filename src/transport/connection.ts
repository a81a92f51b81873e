/**
 * One socket to one memcached server (TCP, TLS or a unix socket), many requests in flight.
 *
 * The connection does the I/O and nothing else: it opens the socket (and the TLS and auth
 * handshakes), writes requests in the order they are sent (a burst sent in one tick goes out as one
 * `writev`), reads a plain socket into the process's one read buffer (`socket-reads.ts`), keeps
 * the bytes received (`receive-buffer.ts`: values are views on them, copied once out of that read
 * buffer, never again) and runs the timers. How requests are written and which reply answers
 * which request is the *framing*'s business (`protocol/framing.ts`): the `framing` option,
 * `textFraming` by default (first in first out, silent markers for `noreply` requests; its rules
 * are documented there). The framing's matcher is told what was written, what arrived and what
 * was abandoned, and answers with effects this module carries out: settle a request, report an
 * unsolicited error line, destroy. When a reply is cut short, the matcher says how many more bytes
 * it needs, and the connection does not ask it again before they have arrived.
 *
 * **The request context.** `send(request, context)` honours the context's signal and deadline: a
 * request whose signal already fired or whose deadline passed is not written (`Aborted` /
 * `Timeout`). A request that was written and whose signal fires or deadline passes is answered at
 * once (`Aborted` / `Timeout`) and *abandoned*: it keeps its place, its reply is read when it comes
 * and dropped, so the stream stays in step and the connection stays usable; until then it still
 * counts toward `maxPending`. An empty context costs no timer and no listener.
 *
 * **Failures.** The connection's own `timeout` option is different: when the oldest request has
 * had no reply within it, the stream is presumed stuck and the connection is destroyed. So are
 * bytes that do not decode (including `CLIENT_ERROR` after a storage command, which puts memcached
 * out of step), an unexpected close or a socket error: the request at fault gets its own error
 * (`Timeout`, `ClientError`, `ProtocolError`), every other request in flight gets
 * `ConnectionClosed`, and later sends get `ConnectionClosed` immediately. A destroyed connection
 * never reads again, so a late reply reaches nobody. `CLIENT_ERROR unauthenticated` (a `-Y` server
 * before the login) is delivered as a `Failure`, then the connection is destroyed too: memcached
 * drops every command pipelined behind it. `Failure` replies (the server refused but the stream is
 * in step) are `Right`: the command layer decides what they mean.
 *
 * **The server's version.** Before the first request on a connection that needs to know the
 * server's version (a meta request: `Framing.versionCheck`), the connection writes a `version`
 * and holds every request sent meanwhile, in order, until the answer; from then on, a meta request
 * the server would not understand (a command or flag newer than it) is refused (`InvalidArgument`
 * naming the flag and both versions) before anything is written. Asked once per connection, so
 * a reconnect to an upgraded server asks again.
 *
 * **The process.** An idle connection does not keep a Node process alive: its socket is `unref`'d
 * while no caller waits on it, and `ref`'d while one does (a request waiting for its reply, a
 * `noreply` request not yet written), so a script that forgets `close()` exits once its work is
 * done, and never before. An abandoned request does not count: its caller was answered. Every timer
 * is `unref`'d. `close()` answers every request in flight (`ConnectionClosed`) and destroys the
 * socket at once, without waiting for the server to close its side; only `noreply` requests still
 * queued for writing are written first (their callers wait for that), for at most `connectTimeout`.
 *
 * **Memory.** What a connection holds is bounded by bytes: requests in flight by `maxPendingBytes`
 * (a send over it is `Overloaded` at once), a reply's value by `maxValueSize` and a `stats` reply by
 * `maxStatsSize` (a reply announcing more is a `ProtocolError` that drops the connection on its
 * header, before it is buffered), a reply line by `MAX_LINE_LENGTH`. The buffer a tick's writes are
 * gathered in is kept for the next tick, up to 128 KiB.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as T from 'fp-ts/lib/Task.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import * as net from 'node:net'
import * as tls from 'node:tls'
import { replyLimits } from '../protocol/decode.js'
import { STOP, textFraming, type Framing, type FramingEffects } from '../protocol/framing.js'
import { aborted, authError, connectError, connectionClosed, overloaded, overloadedBytes, timeout } from './error.js'
import { type MemcacheError } from '../error.js'
import { noReply, type Reply } from '../protocol/reply.js'
import { commandName, set, version, type Request } from '../protocol/request.js'
import { addressName, parseAddress, type Address } from './address.js'
import { emptyContext, interruption, watch, type RequestContext } from './context.js'
import { connectReading, ownReading, type ReadSocket } from './socket-reads.js'
import { makeReceiveBuffer } from './receive-buffer.js'
import { makeDeadlineQueue } from './deadlines.js'
import { timerDelay } from './timer.js'
import type { Transport } from './transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * memcached's ASCII authentication (`-Y`): the user and password sent once, before any request.
 * @category model
 */
export interface Credentials {
  readonly username: string
  readonly password: string
}

/**
 * How to reach a server and how patient to be.
 *
 * Timeouts are milliseconds; `0` (or `Infinity`) means no limit.
 * @category model
 */
export interface ConnectOptions {
  /**
   * `host`, `host:port`, `[v6]:port`, `unix:/path` or `/path` (see `parseAddress`), or an address
   * parsed already (what `reconnecting` passes, so that it parses once, not at every reconnect).
   */
  readonly server: string | Address
  /** How requests are written and replies matched. Default `textFraming`. */
  readonly framing?: Framing
  /** Limit on opening the socket, the TLS handshake and the auth handshake. Default 1000. */
  readonly connectTimeout?: number
  /**
   * Limit on each request's reply, counted from `send`. Default 1000. When it passes, the
   * connection is destroyed (the stream is presumed stuck) and the request fails with `Timeout`.
   * A deadline in the request's context is different: the request is answered `Timeout` and
   * abandoned, and the connection goes on.
   */
  readonly timeout?: number
  /**
   * TLS: `true`, or Node's `tls.ConnectionOptions` (`ca`, `cert`, `key`, `servername`...).
   * Certificates are verified (`rejectUnauthorized: true`) unless turned off here; `servername`
   * defaults to the host when it is a name, not an IP address.
   */
  readonly tls?: boolean | tls.ConnectionOptions
  /** Disable Nagle's algorithm (TCP only). Default `true`. */
  readonly noDelay?: boolean
  /** TCP keepalive: `true` (default) with the system's delay, `false`, or the initial delay in ms. */
  readonly keepAlive?: boolean | number
  /** Run memcached's ASCII auth handshake (`memcached -Y`) before the connection is returned. */
  readonly credentials?: Credentials
  /**
   * Requests in flight (awaiting a reply, abandoned ones included, or a write) beyond which `send`
   * fails with `Overloaded`. Default 10 000.
   */
  readonly maxPending?: number
  /**
   * Bytes of requests in flight (as encoded: a `set`'s value included), from `send` until the
   * reply is read (a `noreply` request until it is written), beyond which `send` fails with
   * `Overloaded` (`budget: 'bytes'`) at once. A request larger than the budget is still sent
   * when nothing else is in flight. Default 64 MiB (`DEFAULT_MAX_PENDING_BYTES`); `Infinity` for none.
   */
  readonly maxPendingBytes?: number
  /** Accept non-ASCII keys, sent as UTF-8. Default `false`. */
  readonly allowUnicodeKeys?: boolean
  /**
   * Values larger than this many bytes: refused before sending (`ValueTooLarge`), and a reply
   * whose `VALUE` line announces more is a `ProtocolError` that drops the connection before any of
   * the value is buffered. For replies, default 64 MiB (`DEFAULT_MAX_VALUE_SIZE`; memcached's own
   * default item size is 1 MiB); without it, values of any size are sent (the server refuses
   * what is over its `-I`).
   */
  readonly maxValueSize?: number
  /**
   * Bytes a `stats` reply may take before it is a `ProtocolError` that drops the connection.
   * Default 4 MiB (`DEFAULT_MAX_STATS_SIZE`).
   */
  readonly maxStatsSize?: number
  /**
   * Called with error lines the server sent without a request to answer (errors of `noreply`
   * requests, `ERROR Too many open connections`). Exceptions it throws are ignored.
   */
  readonly onUnsolicited?: (error: MemcacheError) => void
}

/**
 * An open connection: a `Transport` plus what a pool needs to know about it.
 * @category model
 */
export interface Connection extends Transport {
  /** `host:port`, `[v6]:port` or `unix:/path`: the name used in errors. */
  readonly node: string
  /** `false` once closed, destroyed, or after `quit`: it will never answer again. */
  readonly isOpen: () => boolean
  /** Requests awaiting a reply (abandoned ones included), plus `noreply` requests not yet written. */
  readonly inFlight: () => number
  /**
   * Bytes of those requests, as `maxPendingBytes` counts them. Connections made by `connect` have
   * it; optional so that other `Connection`s (an in-memory one) need not count.
   */
  readonly pendingBytes?: () => number
}

/**
 * What `connect` returns: a `TaskEither` that may also be given a signal, whose firing abandons
 * the opening (socket, TLS and auth handshakes) at once with `Aborted`. A pool passes one so that
 * draining it does not wait for a connect in progress.
 *
 * @example
 * const opening: Connecting = connect({ server: '127.0.0.1:11211' })
 * await opening(AbortSignal.timeout(100))
 * @category model
 */
export type Connecting = (signal?: AbortSignal) => Promise<E.Either<MemcacheError, Connection>>

/**
 * Milliseconds a connection attempt may take, unless `connectTimeout` says otherwise.
 * @category model
 */
export const DEFAULT_CONNECT_TIMEOUT = 1000
/**
 * Milliseconds a request may wait for its reply, unless `timeout` says otherwise.
 * @category model
 */
export const DEFAULT_TIMEOUT = 1000
/**
 * Requests a connection holds in flight before it answers `Overloaded`, unless `maxPending` says otherwise.
 * @category model
 */
export const DEFAULT_MAX_PENDING = 10_000
/**
 * The default `maxPendingBytes`: 64 MiB per connection, room for the largest value a reply may
 * carry by default (`DEFAULT_MAX_VALUE_SIZE`) and for hundreds of usual ones.
 *
 * @example
 * connect({ server, maxPendingBytes: DEFAULT_MAX_PENDING_BYTES / 4 })
 * @category model
 */
export const DEFAULT_MAX_PENDING_BYTES = 64 * 1024 * 1024

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Node's timers overflow past 2^31 - 1 ms: anything longer is no limit at all. */
/** The timer delay for an optional timeout, 0 for none. */
const limitOf = (ms: number | undefined, fallback: number): number => timerDelay(ms ?? fallback) ?? 0

const isSecure = (options: ConnectOptions): boolean => options.tls !== undefined && options.tls !== false

const openSocket = (address: Address, options: ConnectOptions): ReadSocket => {
  const target = address._tag === 'Tcp' ? { host: address.host, port: address.port } : { path: address.path }
  if (!isSecure(options)) return connectReading(target)
  const servername = address._tag === 'Tcp' && net.isIP(address.host) === 0 ? { servername: address.host } : {}
  const custom = typeof options.tls === 'object' ? options.tls : {}
  return ownReading(tls.connect({ ...target, ...servername, rejectUnauthorized: true, ...custom }))
}

/**
 * memcached with `-Y` answers `CLIENT_ERROR unauthenticated` to the first command before the
 * login and silently drops whatever else was pipelined behind it: nothing after it will be answered.
 */
const isUnauthenticated = (reply: Reply): boolean =>
  reply._tag === 'Failure' && reply.error._tag === 'ClientError' && reply.error.reason === 'unauthenticated'

const codeOf = (error: unknown): string => {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined
  return typeof code === 'string' ? code : 'ECONNECT'
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** A request written and waiting for its reply, as the connection tracks it. */
interface Waiting {
  readonly request: Request
  /** When the connection's own `timeout` gives up on it, in `Date.now()` milliseconds; `Infinity` for never. */
  readonly deadline: number
  /** When it was written, for the `Timeout` its context's deadline gives. */
  readonly sentAt: number
  /** Its context's deadline (`Infinity` for none): then it is answered `Timeout` and abandoned. */
  readonly contextDeadline: number
  /** Its encoded size, held until its reply is read (it counts toward `maxPendingBytes`). */
  readonly bytes: number
  /** Answered (its reply delivered, or abandoned): the deadline queue skips it, and it no longer holds the process. */
  done: boolean
  readonly settle: (result: E.Either<MemcacheError, Reply>) => void
  /** Stops watching its context's signal (a no-op without one). */
  stop: () => void
}

const noop = (): void => undefined

/** A reply still needing more than this is given its whole buffer at once (`ReceiveBuffer.reserve`). */
const RESERVE_FROM = 256 * 1024

/**
 * Room reserved past a large value: its reply's last line (`END` after a text value; a meta value
 * ends its reply) and the start of the next reply, when they come in the chunk that ends the value.
 */
const RESERVED_TAIL = 64

/** Chunks this large (values) are written as they are, not copied into a tick's write buffer. */
const COPY_FROM = 16 * 1024

/**
 * A tick's write buffer up to this size is kept once written, for the next tick: a fresh buffer
 * per tick costs more than the copy into it (new memory to touch, and garbage to collect).
 */
const SPARE_UP_TO = 128 * 1024

const EMPTY = new Uint8Array(0)

const byteLengthOf = (chunks: ReadonlyArray<Uint8Array>): number => {
  let total = 0
  for (const chunk of chunks) total += chunk.byteLength
  return total
}

/** Wires the framing's matcher, the receive buffer and the timers onto a connected socket. */
const makeConnection = ({ socket, listen }: ReadSocket, node: string, options: ConnectOptions): Connection => {
  const framing = options.framing ?? textFraming
  // `ConnectOptions` carries the encoder's own options (`allowUnicodeKeys`, `maxValueSize`).
  const encode = framing.makeEncoder(options)
  const requestLimit = limitOf(options.timeout, DEFAULT_TIMEOUT)
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING
  const maxPendingBytes = options.maxPendingBytes !== undefined && options.maxPendingBytes > 0 ? options.maxPendingBytes : DEFAULT_MAX_PENDING_BYTES
  const limits = replyLimits({
    ...(options.maxValueSize === undefined ? {} : { maxValueSize: options.maxValueSize }),
    ...(options.maxStatsSize === undefined ? {} : { maxStatsSize: options.maxStatsSize }),
  })
  const received = makeReceiveBuffer()

  let state: 'open' | 'quitting' | 'closed' = 'open'
  /** What sends get once the connection is no longer open. */
  let refusal: MemcacheError = connectionClosed(node, 'is closed')
  let unwritten = 0
  /** Bytes of the requests awaiting a reply (`replyBytes`) and of the `noreply` ones not yet written. */
  let replyBytes = 0
  let unwrittenBytes = 0
  /** Bytes the pending (unfinished) reply needs at least before the matcher is asked again. */
  let awaited = 0
  let deadlineTimer: NodeJS.Timeout | undefined
  /**
   * Requests written with a context deadline: one timer for the connection checks them, set for
   * the earliest (`deadlines.ts`), so a deadline costs no timer of its own, which matters because
   * `createClient` gives every command one. Answered entries are dropped from the front as replies
   * come (they come in the same order).
   */
  const timed = makeDeadlineQueue<Waiting>({
    deadlineOf: (entry) => entry.contextDeadline,
    isDone: (entry) => entry.done,
    expire: (entry) => abandon(entry, timeout(entry.contextDeadline - entry.sentAt, commandName(entry.request), node)),
  })
  /** The chunks written in this tick, not handed to the socket yet (`flushWrites`). */
  let batch: Array<Uint8Array> = []
  let batchBytes = 0
  let batchHasLarge = false
  let batchCallbacks: Array<(error?: Error | null) => void> = []
  let flushScheduled = false
  /** A write buffer the socket is done with, for the next tick's batch. */
  let spare: Buffer | undefined
  let lastUnsolicited: string | undefined
  let endTimer: NodeJS.Timeout | undefined
  /**
   * Callers waiting on the socket: requests written and not answered yet (abandoned ones are
   * answered), and `noreply` writes not finished. The socket holds the process only while this is
   * above zero, so it is touched only when the count leaves or reaches zero.
   */
  let occupied = 0
  const isClosed = (): boolean => state === 'closed'

  const occupy = (): void => {
    // A destroyed socket has no handle to hold the process with (Node would wait for a 'connect').
    if (occupied++ === 0 && !socket.destroyed) socket.ref()
  }
  /** A closed connection is left alone: `close()` holds its socket until it is closed, `destroy` has released it. */
  const vacate = (): void => {
    if (--occupied === 0 && state !== 'closed' && !socket.destroyed) socket.unref()
  }
  /** Marks `entry` answered, once: the deadline queue skips it and it stops holding the process. */
  const answered = (entry: Waiting): void => {
    if (entry.done) return
    entry.done = true
    vacate()
  }
  // Nothing is in flight yet (the auth handshake, when there is one, is a request like any other).
  socket.unref()

  const socketClosed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      if (endTimer !== undefined) clearTimeout(endTimer)
      resolve()
    }),
  )

  const disarm = (): void => {
    if (deadlineTimer !== undefined) {
      clearTimeout(deadlineTimer)
      deadlineTimer = undefined
    }
    timed.clear()
  }

  /**
   * Stops the connection for good. `errorFor` picks each waiting request's error; `how` says
   * whether the socket is dropped (`destroy`) or ended politely (`end`).
   */
  const shutDown = (detail: string, errorFor: (waiting: Waiting, closed: MemcacheError) => MemcacheError, how: 'destroy' | 'end'): void => {
    if (state === 'closed') return
    state = 'closed'
    refusal = connectionClosed(node, detail)
    // What was sent before is handed to the socket as it would have been: queued `noreply` writes go out.
    flushWrites()
    disarm()
    received.clear()
    spare = undefined
    awaited = 0
    replyBytes = 0
    const waiting = matcher.clear()
    // Bytes still queued belong to requests answered below: only a `noreply` write has a caller waiting for it.
    if (how === 'destroy' || unwritten === 0) socket.destroy()
    else {
      // The process waits for those writes (bounded by the timer below), then the socket goes without
      // waiting for the server to close its side.
      socket.ref()
      socket.destroySoon()
      // A server that stopped reading must not keep the process alive.
      endTimer = setTimeout(() => socket.destroy(), limitOf(options.connectTimeout, DEFAULT_CONNECT_TIMEOUT) || DEFAULT_CONNECT_TIMEOUT)
    }
    // An abandoned entry was answered already: settling it again changes nothing.
    for (const entry of waiting) {
      entry.stop()
      entry.settle(E.left(errorFor(entry, refusal)))
    }
  }

  const everyoneClosed = (_waiting: Waiting, closed: MemcacheError): MemcacheError => closed

  const destroyFor = (culprit: Waiting, error: MemcacheError, detail: string): void =>
    shutDown(detail, (waiting, closed) => (waiting === culprit ? error : closed), 'destroy')

  const hungUp = (detail: string): void => {
    const said = lastUnsolicited === undefined ? '' : ` (it said: ${lastUnsolicited})`
    shutDown(state === 'quitting' ? 'was closed after quit' : `${detail}${said}`, everyoneClosed, 'destroy')
  }

  const checkDeadline = (): void => {
    deadlineTimer = undefined
    const oldest = matcher.oldestWaiting()
    if (oldest === undefined) return
    const remaining = oldest.deadline - Date.now()
    if (remaining > 0) {
      deadlineTimer = setTimeout(checkDeadline, Math.ceil(remaining)).unref()
      return
    }
    const name = commandName(oldest.request)
    destroyFor(oldest, timeout(requestLimit, name, node), `was destroyed after ${name} timed out`)
  }

  /** Answers a written request now and leaves its reply to be read in turn, and dropped. */
  const abandon = (entry: Waiting, error: MemcacheError): void => {
    answered(entry)
    entry.stop()
    matcher.abandon(entry)
    entry.settle(E.left(error))
  }

  const report = (error: MemcacheError): void => {
    lastUnsolicited = error.message
    try {
      options.onUnsolicited?.(error)
    } catch {
      // The callback's failure is the caller's; the stream must go on.
    }
  }

  const refuseIfUnauthenticated = (reply: Reply): void => {
    if (isUnauthenticated(reply)) shutDown('was refused: the server requires authentication (give credentials)', everyoneClosed, 'destroy')
  }

  const effects: FramingEffects<Waiting> = {
    deliver: (entry, reply) => {
      replyBytes -= entry.bytes
      answered(entry)
      if (entry.contextDeadline !== Infinity) timed.dropDone()
      entry.stop()
      entry.settle(E.right(reply))
      refuseIfUnauthenticated(reply)
    },
    discard: (entry, reply) => {
      replyBytes -= entry.bytes
      refuseIfUnauthenticated(reply)
    },
    unsolicited: report,
    fail: (error, culprit) => {
      if (culprit === undefined) shutDown(`was destroyed: ${error.message}`, () => error, 'destroy')
      else destroyFor(culprit, error, `was destroyed after a bad reply to ${commandName(culprit.request)}: ${error.message}`)
    },
  }
  const matcher = framing.makeMatcher(effects, limits)

  /** Hands the matcher every complete reply in `bytes`; returns the offset after the last one. */
  const deliver = (bytes: Uint8Array): number => {
    let offset = 0
    // An effect may close the connection (a bad reply, `onUnsolicited` calling close): stop reading then.
    while (offset < bytes.length && !isClosed()) {
      const next = matcher.receive(bytes, offset)
      if (next === STOP) return offset
      offset = next
    }
    return offset
  }

  /** Decodes what `chunk` completes, keeps the rest of an unfinished reply. */
  const receive = (chunk: Uint8Array, transient: boolean): void => {
    const bytes = received.append(chunk, transient)
    if (bytes.length < awaited) {
      // The unfinished reply cannot advance yet (a large value arriving): keep the bytes, read nothing.
      received.keep(bytes, 0)
      return
    }
    const consumed = deliver(bytes)
    // Delivering may have destroyed the connection (a bad reply, an unattributable error line).
    if (isClosed()) return
    received.keep(bytes, consumed)
    awaited = consumed < bytes.length ? bytes.length - consumed + matcher.needed() : 0
    // A value of known size (within maxValueSize): one buffer for all of it.
    if (awaited > RESERVE_FROM) received.reserve(awaited + RESERVED_TAIL)
  }

  listen((chunk, transient) => {
    if (isClosed()) return
    // A large value received into a buffer reserved at its size takes from the chunk that completes
    // it no more than that buffer holds; the rest of the chunk is received on its own. Appended
    // whole, it would overflow the buffer and the value would be copied again into a bigger one.
    const fits = awaited > RESERVE_FROM ? awaited + RESERVED_TAIL - received.pending() : chunk.length
    if (fits >= chunk.length) return receive(chunk, transient)
    receive(chunk.subarray(0, fits), transient)
    if (!isClosed()) receive(chunk.subarray(fits), transient)
  })
  socket.on('error', (error) => hungUp(`failed: ${error.message}`))
  socket.on('end', () => hungUp('was closed by the server'))
  socket.on('close', () => hungUp('was closed'))

  /**
   * Writes are gathered for the tick and go out as one buffer: the chunks of every request sent in
   * the tick are copied into it (a few dozen bytes each, usually), which costs the stream one write
   * instead of one per chunk. That buffer is reused by a later tick once the socket is done with it
   * (`spare`). A chunk of `COPY_FROM` bytes or more (a large value) is not copied:
   * it is written as it is, between the buffers of the chunks before and after it.
   */
  const flushWrites = (): void => {
    flushScheduled = false
    const count = batch.length
    if (count === 0) return
    const chunks = batch
    const callbacks = batchCallbacks
    const total = batchBytes
    batch = []
    batchCallbacks = []
    batchBytes = 0
    const written = callbacks.length === 0 ? undefined : (error?: Error | null) => callbacks.forEach((callback) => callback(error))
    if (count === 1) {
      socket.write(chunks[0] as Uint8Array, written)
      return
    }
    if (batchHasLarge) {
      batchHasLarge = false
      writeAround(chunks, written)
      return
    }
    const joined = spare !== undefined && spare.length >= total ? spare : Buffer.allocUnsafe(total)
    spare = undefined
    let offset = 0
    for (let i = 0; i < count; i++) {
      const chunk = chunks[i] as Uint8Array
      joined.set(chunk, offset)
      offset += chunk.byteLength
    }
    socket.write(joined.length === total ? joined : joined.subarray(0, total), (error) => {
      if (state !== 'closed' && joined.length <= SPARE_UP_TO && (spare === undefined || spare.length < joined.length)) spare = joined
      written?.(error)
    })
  }

  /** A batch holding large chunks: runs of small ones joined, large ones as they are, in one corked write. */
  const writeAround = (chunks: ReadonlyArray<Uint8Array>, written: ((error?: Error | null) => void) | undefined): void => {
    socket.cork()
    let runStart = 0
    let runBytes = 0
    const writeRun = (end: number): void => {
      if (end === runStart) return
      const joined = Buffer.allocUnsafe(runBytes)
      let offset = 0
      for (let i = runStart; i < end; i++) {
        const chunk = chunks[i] as Uint8Array
        joined.set(chunk, offset)
        offset += chunk.byteLength
      }
      socket.write(joined)
    }
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i] as Uint8Array
      if (chunk.byteLength < COPY_FROM) {
        runBytes += chunk.byteLength
        continue
      }
      writeRun(i)
      socket.write(chunk)
      runStart = i + 1
      runBytes = 0
    }
    writeRun(chunks.length)
    // An empty write carries the callback: it completes after everything before it.
    socket.write(EMPTY, written)
    socket.uncork()
  }

  const write = (chunks: ReadonlyArray<Uint8Array>, written?: (error?: Error | null) => void): void => {
    if (!flushScheduled) {
      flushScheduled = true
      process.nextTick(flushWrites)
    }
    for (const chunk of chunks) {
      batch.push(chunk)
      batchBytes += chunk.byteLength
      if (chunk.byteLength >= COPY_FROM) batchHasLarge = true
    }
    if (written !== undefined) batchCallbacks.push(written)
  }

  /** Writes a request the server does not answer: it resolves `NoReply` once written. */
  const sendSilent = (request: Request, chunks: ReadonlyArray<Uint8Array>, bytes: number, signal: AbortSignal | undefined) =>
    new Promise<E.Either<MemcacheError, Reply>>((resolve) => {
      matcher.writtenSilent(request)
      unwritten++
      unwrittenBytes += bytes
      occupy()
      // Written or not, the bytes are queued: an interrupted caller is answered, the marker stays.
      // Only the signal is watched: the write callback comes as soon as the bytes are handed on.
      const stop = signal === undefined ? noop : watch({ signal }, commandName(request), node, (error) => resolve(E.left(error)))
      write(chunks, (error) => {
        unwritten--
        unwrittenBytes -= bytes
        vacate()
        stop()
        resolve(error === undefined || error === null ? E.right(noReply) : E.left(state === 'closed' ? refusal : connectionClosed(node, `lost a write: ${error.message}`)))
      })
      if (request._tag === 'Quit') {
        state = 'quitting'
        refusal = connectionClosed(node, 'was closed by quit')
      }
    })

  /**
   * The server's version, asked once per connection before the first request that needs it
   * (`Framing.versionCheck`): `undefined` until known. While the question is out, every request
   * waits behind it (`versionProbe`), in the order sent, so requests still go out in call order.
   */
  let serverVersion: E.Either<MemcacheError, string> | undefined
  let versionProbe: Promise<void> | undefined
  let waitingForVersion = 0

  const askVersion = (): Promise<void> =>
    sendNow(version, emptyContext).then((result) => {
      // A server that does not answer `version` as expected is given the benefit of the doubt ('').
      serverVersion = E.isLeft(result) ? result : E.right(result.right._tag === 'Version' ? result.right.version : '')
    })

  const sendChecked = (request: Request, context: RequestContext): Promise<E.Either<MemcacheError, Reply>> => {
    const check = framing.versionCheck?.(request)
    if (check !== undefined && serverVersion !== undefined) {
      if (E.isLeft(serverVersion)) return Promise.resolve(serverVersion)
      const refused = check(serverVersion.right)
      if (refused !== undefined) return Promise.resolve(E.left(refused))
    }
    return sendNow(request, context)
  }

  const send =
    (request: Request, context: RequestContext = emptyContext): TE.TaskEither<MemcacheError, Reply> =>
    () => {
      if (versionProbe === undefined && serverVersion === undefined && state === 'open' && framing.versionCheck?.(request) !== undefined) {
        versionProbe = askVersion()
      }
      if (versionProbe === undefined) return sendChecked(request, context)
      waitingForVersion++
      return versionProbe.then(() => {
        if (--waitingForVersion === 0) versionProbe = undefined
        return sendChecked(request, context)
      })
    }

  const sendNow = (request: Request, context: RequestContext): Promise<E.Either<MemcacheError, Reply>> => {
    if (state !== 'open') return Promise.resolve(E.left(refusal))
    const deadline = context.deadline
    // The clock is read only when a deadline needs it.
    const now = deadline !== undefined || requestLimit > 0 ? Date.now() : 0
    if (context.signal?.aborted === true || (deadline !== undefined && deadline <= now)) {
      return Promise.resolve(E.left(interruption(context, commandName(request), node, now) ?? refusal))
    }
    const chunks = encode(request)
    if (E.isLeft(chunks)) return Promise.resolve(chunks)
    const pending = matcher.waiting() + unwritten
    if (pending >= maxPending) return Promise.resolve(E.left(overloaded(pending)))
    const bytes = byteLengthOf(chunks.right)
    const held = replyBytes + unwrittenBytes
    // Refused before anything is kept, so memory stays within the budget; alone, any request goes.
    if (held > 0 && held + bytes > maxPendingBytes) return Promise.resolve(E.left(overloadedBytes(pending, held, bytes, maxPendingBytes)))
    if (!framing.expectsReply(request)) return sendSilent(request, chunks.right, bytes, context.signal)
    return new Promise((resolve) => {
      const sentAt = now
      const contextDeadline = deadline ?? Infinity
      const entry: Waiting = {
        request,
        deadline: requestLimit > 0 ? sentAt + requestLimit : Infinity,
        sentAt,
        contextDeadline,
        bytes,
        done: false,
        settle: resolve,
        stop: noop,
      }
      matcher.written(entry)
      replyBytes += bytes
      occupy()
      write(chunks.right)
      if (context.signal !== undefined) entry.stop = watch({ signal: context.signal }, commandName(request), node, (error) => abandon(entry, error))
      if (contextDeadline !== Infinity) timed.add(entry)
      // One timer for the connection, checking the oldest deadline; it is not cleared when the
      // FIFO empties (that would cost a timer per round trip), only unref'd: while anything is in
      // flight the socket keeps the process alive anyway.
      if (requestLimit > 0 && deadlineTimer === undefined) deadlineTimer = setTimeout(checkDeadline, requestLimit).unref()
    })
  }

  const close: T.Task<void> = () => {
    shutDown('was closed by the client', everyoneClosed, 'end')
    return socketClosed
  }

  return {
    node,
    send,
    close,
    isOpen: () => state === 'open',
    inFlight: () => matcher.waiting() + unwritten,
    pendingBytes: () => replyBytes + unwrittenBytes,
  }
}

/** The request named in the `Aborted` of an abandoned connect. */
const CONNECT = 'connect'

/** `set auth 0 0 <n>\r\n<user> <password>\r\n`: STORED means in. */
const authenticate = (connection: Connection, credentials: Credentials): TE.TaskEither<MemcacheError, Connection> => {
  const node = connection.node
  const login = set('auth', Buffer.from(`${credentials.username} ${credentials.password}`, 'utf8'))
  return () =>
    connection.send(login)().then((result): E.Either<MemcacheError, Connection> => {
      if (E.isRight(result)) {
        const reply = result.right
        if (reply._tag === 'Stored') return E.right(connection)
        if (reply._tag === 'Failure' && reply.error._tag === 'ServerError') {
          return E.left(connectError(node, 'EREFUSED', `the server refused the connection: ${reply.error.message}`))
        }
        return E.left(authError(node, reply._tag === 'Failure' ? reply.error.message : `unexpected ${reply._tag} reply`))
      }
      const error = result.left
      switch (error._tag) {
        case 'ClientError':
        case 'UnknownCommand':
          return E.left(authError(node, error.reason === '' ? error.message : error.reason))
        case 'ConnectionClosed':
          return E.left(connectError(node, 'ECONNRESET', error.message))
        case 'Timeout':
          return E.left(connectError(node, 'ETIMEDOUT', error.message))
        default:
          return E.left(error)
      }
    })
}

/**
 * Opens a connection; with `credentials`, it is returned only after the auth handshake.
 *
 * Fails with `InvalidArgument` for a bad server string, `ConnectError` when the socket, the TLS
 * handshake or the connect timeout fails, and `AuthError` when the server refuses the credentials.
 * The result is a `TaskEither` that also takes an optional `AbortSignal` (`Connecting`): when it
 * fires before the connection is ready, the socket is destroyed and the result is `Aborted`.
 *
 * @example
 * import * as Request from '../protocol/request.js'
 * const opened = await connect({ server: '127.0.0.1:11211', timeout: 500 })()
 * if (E.isRight(opened)) {
 *   const connection = opened.right
 *   await connection.send(Request.get(['a']))() // right(values([...]))
 *   await connection.close()
 * }
 * @category constructors
 */
export const connect =
  (options: ConnectOptions): Connecting =>
  (signal) => {
    const parsed = typeof options.server === 'string' ? parseAddress(options.server) : E.right(options.server)
    if (E.isLeft(parsed)) return Promise.resolve(parsed)
    const address = parsed.right
    const node = addressName(address)
    const abandoned = signal === undefined ? undefined : interruption({ signal }, CONNECT, node)
    if (abandoned !== undefined) return Promise.resolve(E.left(abandoned))
    return new Promise((resolve) => {
      let reading: ReadSocket
      try {
        reading = openSocket(address, options)
      } catch (error) {
        // Bad TLS material (an unreadable CA, a key that does not match) throws synchronously.
        resolve(E.left(connectError(node, codeOf(error), messageOf(error))))
        return
      }
      const socket = reading.socket
      let settled = false
      const limit = limitOf(options.connectTimeout, DEFAULT_CONNECT_TIMEOUT)
      const gone = new Promise<void>((closed) => socket.once('close', () => closed()))
      const finish = (result: E.Either<MemcacheError, Connection>): void => {
        if (settled) return
        settled = true
        if (timer !== undefined) clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        socket.off('close', onClose)
        if (E.isRight(result)) {
          socket.off('error', onError)
          resolve(result)
          return
        }
        // On failure the error listener stays (a destroyed socket may still report an error late),
        // and the answer waits until the socket is gone: a failed or abandoned connect leaves nothing.
        socket.destroy()
        void gone.then(() => resolve(result))
      }
      const onError = (error: Error): void => finish(E.left(connectError(node, codeOf(error), error.message)))
      const onClose = (): void => finish(E.left(connectError(node, 'ECONNRESET', 'closed before the connection was ready')))
      // The socket goes at once (with the connection made on it, during the auth handshake).
      const onAbort = (): void => finish(E.left(interruption({ signal: signal as AbortSignal }, CONNECT, node) ?? aborted(CONNECT, 'aborted')))
      signal?.addEventListener('abort', onAbort, { once: true })
      const timer = limit > 0 ? setTimeout(() => finish(E.left(connectError(node, 'ETIMEDOUT', `not connected within ${limit} ms`))), limit) : undefined
      socket.on('error', onError)
      socket.once('close', onClose)
      socket.once(isSecure(options) ? 'secureConnect' : 'connect', () => {
        if (settled) return
        if (address._tag === 'Tcp') {
          socket.setNoDelay(options.noDelay ?? true)
          const keepAlive = options.keepAlive ?? true
          if (keepAlive !== false) socket.setKeepAlive(true, typeof keepAlive === 'number' ? keepAlive : 0)
        }
        const connection = makeConnection(reading, node, options)
        if (options.credentials === undefined) return finish(E.right(connection))
        void authenticate(connection, options.credentials)().then(finish)
      })
    })
  }
