/**
 * The deadline queue under the connection and the batching layer: one timer for many deadlines,
 * each entry expired at its own deadline (never before, never twice), done entries skipped and
 * dropped, an earlier deadline moving the timer, and `clear` leaving nothing behind.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { makeDeadlineQueue, type DeadlineQueue } from '../../src/transport/deadlines.js'

interface Entry {
  readonly name: string
  readonly deadline: number
  done: boolean
}

const entry = (name: string, deadline: number): Entry => ({ name, deadline, done: false })

/**
 * A queue whose expired entries are recorded (and marked done, as their owner would); `then` runs
 * after each expiry, with the queue.
 */
const recordingQueue = (then: (each: Entry, queue: DeadlineQueue<Entry>) => void = () => undefined) => {
  const expired: Array<string> = []
  const queue: DeadlineQueue<Entry> = makeDeadlineQueue<Entry>({
    deadlineOf: (each) => each.deadline,
    isDone: (each) => each.done,
    expire: (each, now) => {
      expect(now).toBeGreaterThanOrEqual(each.deadline)
      each.done = true
      expired.push(each.name)
      then(each, queue)
    },
  })
  return { queue, expired }
}

describe('makeDeadlineQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    vi.setSystemTime(0)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('expires each entry at its own deadline, with one timer for all of them', () => {
    const { queue, expired } = recordingQueue()
    for (let i = 1; i <= 100; i++) queue.add(entry(`e${i}`, 1000 + i))
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(expired).toEqual(['e1'])
    vi.advanceTimersByTime(49)
    expect(expired).toHaveLength(50)
    vi.advanceTimersByTime(50)
    expect(expired).toEqual(Array.from({ length: 100 }, (_, i) => `e${i + 1}`))
    expect(vi.getTimerCount()).toBe(0)
  })

  it('skips entries answered meanwhile, and moves the timer for an earlier deadline', () => {
    const { queue, expired } = recordingQueue()
    const late = entry('late', 500)
    const answered = entry('answered', 300)
    queue.add(late)
    queue.add(answered)
    const early = entry('early', 100)
    queue.add(early)
    answered.done = true
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['early'])
    vi.advanceTimersByTime(400)
    expect(expired).toEqual(['early', 'late'])
  })

  it('drops the answered entries at the front, and reuses its slots once empty', () => {
    const { queue, expired } = recordingQueue()
    // Round trips one at a time, as a connection with one request in flight makes them.
    for (let i = 0; i < 5000; i++) {
      const each = entry(`r${i}`, 1000)
      queue.add(each)
      each.done = true
      queue.dropDone()
    }
    const waiting = entry('waiting', 1000)
    queue.add(waiting)
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual(['waiting'])
  })

  it('keeps the entries behind one that is still waiting, and expires only those due', () => {
    const { queue, expired } = recordingQueue()
    const entries = Array.from({ length: 3000 }, (_, i) => entry(`x${i}`, i === 0 ? 50 : 2000))
    for (const each of entries) queue.add(each)
    // All but the first are answered: the front is not, so they stay until the timer looks.
    for (const each of entries.slice(1, 2000)) each.done = true
    queue.dropDone()
    vi.advanceTimersByTime(50)
    expect(expired).toEqual(['x0'])
    vi.advanceTimersByTime(1950)
    expect(expired).toEqual(['x0', ...entries.slice(2000).map((each) => each.name)])
  })

  it('looks at an entry added while it expires others', () => {
    const { queue, expired } = recordingQueue((each, same) => {
      if (each.name === 'first') same.add(entry('again', 200))
    })
    queue.add(entry('first', 100))
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['first'])
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['first', 'again'])
  })

  it('lets an expiry drop the answered entries while the others are still looked at', () => {
    const { queue, expired } = recordingQueue((_, same) => same.dropDone())
    queue.add(entry('a', 100))
    queue.add(entry('b', 100))
    queue.add(entry('c', 500))
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['a', 'b'])
    vi.advanceTimersByTime(400)
    expect(expired).toEqual(['a', 'b', 'c'])
  })

  it('watches nothing after clear: its timer is gone', () => {
    const { queue, expired } = recordingQueue()
    queue.add(entry('a', 100))
    queue.clear()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual([])
    queue.add(entry('b', 1100))
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['b'])
  })

  it('waits past the longest timer delay in steps, without expiring early', () => {
    const { queue, expired } = recordingQueue()
    const far = 2 ** 31 + 5000
    queue.add(entry('far', far))
    vi.advanceTimersByTime(2 ** 31 - 1)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(far - (2 ** 31 - 1))
    expect(expired).toEqual(['far'])
  })
})
