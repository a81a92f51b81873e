/**
 * Framing: how requests go on the wire and how the replies that come back are matched to them.
 * A connection does the I/O (socket, timers, writes, the receive buffer) and asks its `Framing`
 * everything else, so the text protocol (first in, first out) and the meta protocol (opaque
 * tokens, closed by an `mn` fence) can run on the same connection code.
 *
 * A framing supplies:
 *
 * - the encoder requests are written with, and whether the server answers a request at all;
 * - a *matcher*: the matching state of one connection, a small state machine driven by events —
 *   a request was written (to wait for its reply, or `noreply`), bytes arrived, a caller abandoned
 *   its request — that answers with effects the connection carries out: deliver a reply to an
 *   entry, drop the reply of an abandoned entry, report an error line nobody waits for, fail the
 *   connection. It touches no socket and no timer, so it is tested with plain bytes.
 *
 * The matcher is an object with methods over mutable state rather than a function returning a new
 * state and a list of effects: one reply costs no effect list and no state copy, and effects are
 * calls on the `FramingEffects` the connection gives it.
 *
 * **The text protocol's rule** (`textFraming`). A reply is only ever delivered to the request it
 * answers:
 *
 * 1. A request that expects a reply waits in a FIFO; the next reply decoded is its reply.
 * 2. A `noreply` request (also `quit`, `shutdown`, raw `none`) leaves a *silent marker* in the FIFO,
 *    because memcached may still answer it with an error line (`SERVER_ERROR out of memory`,
 *    `CLIENT_ERROR ...`). (The connection answers it `NoReply` once written.)
 * 3. When markers are at the front and an error line arrives:
 *    - if no request is waiting behind them, the line belongs to one of the markers: it is reported
 *      (`unsolicited`), one marker is dropped and the stream goes on;
 *    - if a request is waiting behind them, the line may be that request's reply or a marker's:
 *      it cannot be attributed, so the connection fails and every request in flight gets a
 *      `ProtocolError`.
 * 4. When markers are at the front and any other reply arrives, it is the reply of the first
 *    waiting request: memcached answers in order, so every marker before it is confirmed silent
 *    and dropped.
 * 5. An error line when nothing at all is in flight (`ERROR Too many open connections` as the
 *    server hangs up) is reported; any other byte is a desync and fails the connection.
 *
 * An abandoned request (its caller gave up) keeps its place: its reply is still decoded, in turn,
 * and dropped, so the stream stays in step. Bytes that do not decode as the head's reply fail the
 * connection with that request as the culprit.
 *
 * **Meta requests** go in the same FIFO: a single meta request is one entry whose reply is one
 * line (and a value); a quiet one and a `MetaBatch` are one entry whose decoder reads every reply
 * up to the `MN` that closes it, matching each by its opaque token (`meta-decode.ts`). A reply
 * that matches no waiting request fails the connection. Before the first meta request on a
 * connection, the connection asks the server's version (`versionCheck`).
 *
 * To keep an error reply of a request from being ambiguous, do not follow `noreply` requests with
 * requests whose reply may be an error without a round trip in between (e.g. a `version`).
 *
 * Replies are capped (`ReplyLimits`, given to `makeMatcher`): a `VALUE` header announcing more than
 * `maxValueSize`, a `stats` reply longer than `maxStatsSize` or a line longer than `MAX_LINE_LENGTH`
 * fails the connection with that request as the culprit, before the bytes are waited for.
 *
 * Decoding is resumable: when a reply is cut short, the matcher keeps the decoder's `NeedMore` and
 * says how many bytes it needs at least (`needed`); the next `receive` must start at the same reply
 * bytes (plus more), and resumes where the last one stopped.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { decodeStep, decodeUnsolicitedStep, defaultReplyLimits, type NeedMore, type ReplyLimits } from './decode.js'
import { makeEncoder, type EncodeOptions, type Encoder } from './encode.js'
import { protocolError } from './error.js'
import type { MemcacheError } from '../error.js'
import type { Reply } from './reply.js'
import { expectsNoReply, type Request } from './request.js'
import { isMetaRequest, type MetaRequest } from './meta.js'
import { unsupportedBy } from './meta-support.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a matcher keeps per request: the connection's own entry, of which it reads the request.
 * @category model
 */
export interface Tracked {
  readonly request: Request
}

/**
 * The effects a matcher asks for, carried out by the connection.
 *
 * @example
 * const effects: FramingEffects<Entry> = {
 *   deliver: (entry, reply) => entry.settle(E.right(reply)),
 *   discard: () => undefined,
 *   unsolicited: (error) => console.warn(error.message),
 *   fail: (error, culprit) => destroy(error, culprit),
 * }
 * @category model
 */
export interface FramingEffects<W extends Tracked> {
  /** `reply` answers `entry`. */
  readonly deliver: (entry: W, reply: Reply) => void
  /** `reply` answers `entry`, which was abandoned: its bytes are consumed, nobody waits for it. */
  readonly discard: (entry: W, reply: Reply) => void
  /** An error line no request can be waiting for (an error of a `noreply` request, a server's farewell). */
  readonly unsolicited: (error: MemcacheError) => void
  /**
   * The stream cannot be trusted any more: the connection must stop. `culprit` is the entry whose
   * reply was bad (it gets `error`, the others are closed); without one, every entry gets `error`.
   */
  readonly fail: (error: MemcacheError, culprit: W | undefined) => void
}

/**
 * The matching state of one connection. Events are method calls; effects go to the
 * `FramingEffects` it was made with. The matcher changes its state before it calls an effect, so
 * an effect may `clear` it (the connection closing) safely.
 * @category model
 */
export interface Matcher<W extends Tracked> {
  /** `entry`'s request was written and waits for its reply. */
  readonly written: (entry: W) => void
  /** A request the server does not answer (`noreply`) was written. */
  readonly writtenSilent: (request: Request) => void
  /** `entry`'s caller gave up: its reply, when it comes, is discarded. `entry` must be in flight. */
  readonly abandon: (entry: W) => void
  /**
   * Decodes what `bytes` hold at `offset` and acts on it. Returns the offset after what it
   * consumed, or `STOP` when the bytes ran out inside a reply (see `needed`) or after `fail`.
   */
  readonly receive: (bytes: Uint8Array, offset: number) => number
  /** After `receive` stopped for lack of bytes: how many more it needs at least. */
  readonly needed: () => number
  /** Entries waiting for their reply, abandoned ones included. */
  readonly waiting: () => number
  /** Requests written without a reply whose silence is not confirmed yet. */
  readonly silent: () => number
  /** The entry written first among those waiting. */
  readonly oldestWaiting: () => W | undefined
  /** Forgets everything, returning the entries that were waiting, oldest first. */
  readonly clear: () => ReadonlyArray<W>
}

/**
 * How one wire protocol writes requests and matches replies (see the module documentation).
 * @category model
 */
export interface Framing {
  /** `text` (or `meta`): for errors and logs. */
  readonly name: string
  /** The encoder that writes requests for this framing. */
  readonly makeEncoder: (options?: EncodeOptions) => Encoder
  /** Whether the server answers `request` (else it is written and, errors aside, forgotten). */
  readonly expectsReply: (request: Request) => boolean
  /**
   * The matching state for a new connection. Replies over `limits` (default `defaultReplyLimits`)
   * fail the connection (`ProtocolError`) before they are buffered.
   */
  readonly makeMatcher: <W extends Tracked>(effects: FramingEffects<W>, limits?: ReplyLimits) => Matcher<W>
  /**
   * For a request that needs to know the server's version (a meta request), the check of that
   * version: the refusal of the request by a server of that `VERSION` text, or `undefined`. For
   * any other request, `undefined`. A connection asks the server's version once, before the first
   * request that needs it, and refuses what the server would not understand before writing it.
   */
  readonly versionCheck?: (request: Request) => ((version: string) => MemcacheError | undefined) | undefined
}

/**
 * What `receive` returns when it reads no further for now.
 * @category model
 */
export const STOP = -1

// -------------------------------------------------------------------------------------
// the text protocol's FIFO
// -------------------------------------------------------------------------------------

/** Compact the backing arrays once this many removed slots lead them (and they are most of them). */
const COMPACT_AFTER = 1024

/** Whose unfinished reply the kept `NeedMore` is: an entry's, or an unsolicited line's. */
const UNSOLICITED = Symbol('unsolicited')

/**
 * The FIFO of text framing. Waiting entries are kept in order, each with the number of silent
 * markers written just before it (`silentBefore`), and `trailing` markers after the last one: a
 * long run of `noreply` writes costs one counter, and removing from the front is amortised O(1).
 */
const makeTextMatcher = <W extends Tracked>(effects: FramingEffects<W>, limits: ReplyLimits = defaultReplyLimits): Matcher<W> => {
  // The entries in flight are `entries[first .. end)`: the arrays are reused once emptied (a
  // connection with one request at a time would otherwise make two new arrays per request).
  let entries: Array<W | undefined> = []
  let silentBefore: Array<number> = []
  let first = 0
  let end = 0
  let trailing = 0
  let silentCount = 0
  let abandoned: Set<W> | undefined
  let partial: NeedMore | undefined
  let partialFor: W | typeof UNSOLICITED | undefined
  let lastNeeded = 0

  const shift = (): void => {
    entries[first] = undefined
    first++
    if (first === end) {
      first = 0
      end = 0
      // A burst's arrays are not kept once it is over.
      if (entries.length > COMPACT_AFTER) {
        entries = []
        silentBefore = []
      }
    } else if (first >= COMPACT_AFTER && first * 2 >= end) {
      entries = entries.slice(first, end)
      silentBefore = silentBefore.slice(first, end)
      end -= first
      first = 0
    }
  }

  const pause = (progress: NeedMore, owner: W | typeof UNSOLICITED): number => {
    partial = progress
    partialFor = owner
    lastNeeded = progress.needed
    return STOP
  }

  const forget = (): void => {
    partial = undefined
    partialFor = undefined
  }

  const receive = (bytes: Uint8Array, offset: number): number => {
    for (;;) {
      const head = first < end ? entries[first] : undefined
      const silentAhead = head === undefined ? trailing : (silentBefore[first] as number)
      if (head !== undefined && silentAhead === 0) {
        // Rule 1: the head's reply.
        const step = decodeStep(head.request, bytes, offset, partialFor === head ? partial : undefined, limits)
        if (E.isLeft(step)) {
          forget()
          effects.fail(step.left, head)
          return STOP
        }
        const progress = step.right
        if (progress._tag === 'NeedMore') return pause(progress, head)
        forget()
        shift()
        if (abandoned !== undefined && abandoned.delete(head)) effects.discard(head, progress.reply)
        else effects.deliver(head, progress.reply)
        return progress.next
      }
      // Markers at the front, or nothing in flight: only an error line can come now, unless it is
      // the first waiting request's reply.
      const step = decodeUnsolicitedStep(bytes, offset, partialFor === UNSOLICITED ? partial : undefined)
      if (E.isLeft(step)) {
        forget()
        if (head === undefined) {
          // Rule 5.
          effects.fail(protocolError(`bytes arrived while no reply was awaited: ${step.left.message}`), undefined)
          return STOP
        }
        // Rule 4: the markers ahead of the head were silent.
        silentCount -= silentAhead
        silentBefore[first] = 0
        continue
      }
      const progress = step.right
      if (progress._tag === 'NeedMore') return pause(progress, UNSOLICITED)
      forget()
      const reply = progress.reply
      const error = reply._tag === 'Failure' ? reply.error : protocolError(`unexpected ${reply._tag}`)
      if (head !== undefined) {
        // Rule 3, with a request waiting behind the markers.
        effects.fail(
          protocolError(
            `error line "${error.message}" arrived while ${silentAhead} noreply request(s) were unconfirmed ahead of a request: it cannot be attributed`,
          ),
          undefined,
        )
        return STOP
      }
      // Rules 3 and 5: one marker's error, or the server's farewell.
      if (trailing > 0) {
        trailing--
        silentCount--
      }
      effects.unsolicited(error)
      return progress.next
    }
  }

  return {
    written: (entry) => {
      entries[end] = entry
      silentBefore[end] = trailing
      end++
      trailing = 0
    },
    writtenSilent: () => {
      trailing++
      silentCount++
    },
    abandon: (entry) => {
      if (abandoned === undefined) abandoned = new Set()
      abandoned.add(entry)
    },
    receive,
    needed: () => lastNeeded,
    waiting: () => end - first,
    silent: () => silentCount,
    oldestWaiting: () => (first < end ? entries[first] : undefined),
    clear: () => {
      const waiting = entries.slice(first, end) as Array<W>
      entries = []
      silentBefore = []
      first = 0
      end = 0
      trailing = 0
      silentCount = 0
      abandoned = undefined
      forget()
      return waiting
    },
  }
}

// -------------------------------------------------------------------------------------
// instances
// -------------------------------------------------------------------------------------

/** Made apart from `versionCheck`, so that a text request does not cost the closure's context. */
const checkAgainst =
  (request: MetaRequest) =>
  (version: string): MemcacheError | undefined =>
    unsupportedBy(version)(request)

/**
 * memcached's text protocol: requests written by `encode`, replies matched first in first out,
 * with silent markers for `noreply` requests (the rules in the module documentation).
 *
 * @example
 * const matcher = textFraming.makeMatcher<Entry>(effects)
 * matcher.written({ request: Request.get(['a']) })
 * matcher.receive(bytes('END\r\n'), 0) // 5, after effects.deliver(entry, values([]))
 * @category instances
 */
export const textFraming: Framing = {
  name: 'text',
  makeEncoder,
  expectsReply: (request) => !expectsNoReply(request),
  makeMatcher: makeTextMatcher,
  // Meta requests share the FIFO (memcached answers every request in order, meta or not).
  versionCheck: (request) => (isMetaRequest(request) ? checkAgainst(request) : undefined),
}
