/**
 * Reading a socket without an allocation per read.
 *
 * On its own, Node gives every read of a stream a fresh allocation of 64 KiB, shrinks it to the
 * bytes read, and runs it through the stream machinery to the `'data'` listeners. A plain socket
 * (TCP or a unix socket) can read into a buffer of its owner's instead (`net.connect`'s `onread`),
 * handed to a callback, with bytes valid until the callback returns. Every such socket here reads
 * into one buffer for the whole process: the event loop reads one socket at a time, and each
 * callback is over before the next read. So the receiver copies what it keeps
 * (`ReceiveBuffer.append`, told the bytes are transient), and a connection costs no read buffer
 * of its own. A TLS socket decrypts into buffers of its own and keeps its `'data'` events.
 *
 * @since 0.1.0
 */
import * as net from 'node:net'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Takes the bytes of one read: `transient` bytes are overwritten by the next read, so whatever
 * is kept of them must be copied before returning.
 * @category model
 */
export type OnBytes = (bytes: Uint8Array, transient: boolean) => void

/**
 * A socket and where its bytes go: `listen` once, when the connection that reads them is ready.
 * Bytes that arrive before are kept and handed over then, in order.
 * @category model
 */
export interface ReadSocket {
  readonly socket: net.Socket
  readonly listen: (onBytes: OnBytes) => void
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A plain socket (TCP or unix) that reads into the process's shared read buffer.
 *
 * @example
 * const { socket, listen } = connectReading({ host: '127.0.0.1', port: 11211 })
 * socket.once('connect', () => listen((bytes, transient) => decode(transient ? bytes.slice() : bytes)))
 * @category constructors
 */
export const connectReading = (target: net.NetConnectOpts): ReadSocket => {
  // Bytes before `listen` (a server does not speak first, but nothing is dropped) are copied and kept.
  const early: Array<Uint8Array> = []
  let onBytes: OnBytes = (bytes) => void early.push(bytes.slice())
  const buffer = sharedReadBuffer()
  const socket = net.connect({
    ...target,
    onread: {
      buffer,
      callback: (length: number) => {
        onBytes(plain(buffer, length), true)
        return true
      },
    },
  })
  return {
    socket,
    listen: (listener) => {
      onBytes = listener
      for (const bytes of early.splice(0)) listener(bytes, false)
    },
  }
}

/**
 * A socket that already reads on its own (a TLS socket): its `'data'` chunks are passed on as
 * they are, each a fresh buffer, not transient. Until `listen`, the stream keeps them.
 *
 * @example
 * const { socket, listen } = ownReading(tls.connect({ host: 'cache.internal', port: 11211 }))
 * @category constructors
 */
export const ownReading = (socket: net.Socket): ReadSocket => ({
  socket,
  listen: (onBytes) => void socket.on('data', (data: Buffer) => onBytes(plain(data), false)),
})

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/** As large as a read Node would make on its own. */
const READ_BUFFER_SIZE = 64 * 1024

let shared: Buffer | undefined

const sharedReadBuffer = (): Buffer => (shared ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE))

/** A plain `Uint8Array` over a Node `Buffer`'s bytes, so that views on it are plain too. */
const plain = (bytes: Buffer, length: number = bytes.byteLength): Uint8Array => new Uint8Array(bytes.buffer, bytes.byteOffset, length)
