import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { invalidKey } from '../../src/protocol/error.js'
import { healthy, makeNodeHealth, pymemcacheHealth, type Health, type HealthEvent, type HealthPolicy } from '../../src/routing/health.js'
import type { MemcacheError } from '../../src/error.js'
import { aborted, connectError, timeout } from '../../src/transport/error.js'

const NODE = '10.0.0.1:11211'
const refused = connectError(NODE, 'ECONNREFUSED', 'connection refused')
const answered: E.Either<MemcacheError, unknown> = E.right('reply')
const failed: E.Either<MemcacheError, unknown> = E.left(refused)

/** One node's health on a clock moved by hand, recording every change it reports. */
const machine = (policy: HealthPolicy = pymemcacheHealth()) => {
  let clock = 0
  const changes: Array<{ readonly event: HealthEvent; readonly from: Health; readonly to: Health }> = []
  const health = makeNodeHealth(NODE, { policy, now: () => clock, onChange: (event, from, to) => changes.push({ event, from, to }) })
  /** Admits one request and records `outcome` for it; `false` when the node refused it. */
  const request = (outcome: E.Either<MemcacheError, unknown>): boolean => {
    const ticket = health.admit()
    if (O.isNone(ticket)) return false
    health.record(ticket.value, outcome)
    return true
  }
  return {
    health,
    changes,
    tags: () => changes.map((change) => change.event._tag),
    request,
    at: (ms: number) => {
      clock = ms
    },
  }
}

describe('pymemcacheHealth: the policy alone', () => {
  const policy = pymemcacheHealth({ retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60_000 })

  it('has pymemcache defaults', () => {
    const defaults = pymemcacheHealth()
    const failing: Health = { _tag: 'Failing', failures: 1, since: 0 }
    expect(defaults.admission(failing, 1000)).toBe('refuse')
    expect(defaults.admission(failing, 1001)).toBe('probe')
    expect(defaults.afterFailure({ _tag: 'Failing', failures: 2, since: 0 }, refused, 5)).toEqual({ _tag: 'Dead', since: 5 })
    expect(defaults.afterTime({ _tag: 'Dead', since: 0 }, 60_000)._tag).toBe('Dead')
    expect(defaults.afterTime({ _tag: 'Dead', since: 0 }, 60_001)).toBe(healthy)
  })

  it('counts only transient errors, and returns the state itself when nothing changes', () => {
    expect(policy.afterFailure(healthy, refused, 7)).toEqual({ _tag: 'Failing', failures: 1, since: 7 })
    expect(policy.afterFailure(healthy, timeout(100, 'get', NODE), 7)._tag).toBe('Failing')
    expect(policy.afterFailure(healthy, invalidKey('a b', 'space'), 7)).toBe(healthy)
    expect(policy.afterFailure(healthy, aborted('get', 'gone'), 7)).toBe(healthy)
    const failing: Health = { _tag: 'Failing', failures: 1, since: 0 }
    expect(policy.afterSuccess(failing, false, 10)).toBe(failing)
    expect(policy.afterSuccess(failing, true, 10)).toBe(healthy)
    expect(policy.afterTime(failing, 1_000_000)).toBe(failing)
  })

  it('marks a node dead at the first failure with retryAttempts 0', () => {
    expect(pymemcacheHealth({ retryAttempts: 0 }).afterFailure(healthy, refused, 3)).toEqual({ _tag: 'Dead', since: 3 })
  })

  it('says why a node refuses', () => {
    expect(policy.refusal(NODE, { _tag: 'Dead', since: 0 })).toContain('marked dead')
    expect(policy.refusal(NODE, { _tag: 'Failing', failures: 2, since: 0 })).toContain('2 failures')
  })
})

describe('makeNodeHealth: one node on an injected clock', () => {
  it("walks pymemcache's dead-server algorithm: failing, refused, probed, dead, re-admitted", () => {
    const node = machine(pymemcacheHealth({ retryAttempts: 2, retryTimeout: 1000, deadTimeout: 60_000 }))
    expect(node.request(failed)).toBe(true)
    expect(node.health.current()).toEqual({ _tag: 'Failing', failures: 1, since: 0 })

    node.at(1000) // not more than retryTimeout: refused without being asked
    expect(node.health.admit()).toEqual(O.none)
    expect(node.health.refusal()).toContain('failing')

    node.at(1001)
    expect(node.request(failed)).toBe(true)
    node.at(2002)
    expect(node.request(failed)).toBe(true)
    expect(node.health.current()).toEqual({ _tag: 'Dead', since: 2002 })
    expect(node.changes.map(({ event }) => [event._tag, 'failures' in event ? event.failures : 0])).toEqual([
      ['Failed', 1],
      ['Failed', 2],
      ['Dead', 3],
    ])

    node.at(2002 + 60_000)
    expect(node.health.refresh()).toBe(false)
    expect(node.health.admit()).toEqual(O.none)
    node.at(2002 + 60_001)
    expect(node.health.refresh()).toBe(true)
    expect(node.health.current()).toBe(healthy)
    expect(node.tags()).toEqual(['Failed', 'Failed', 'Dead', 'Readmitted'])
    expect(node.changes[3]).toEqual({ event: { _tag: 'Readmitted', node: NODE }, from: { _tag: 'Dead', since: 2002 }, to: healthy })

    // Counting starts again after re-admission.
    expect(node.request(failed)).toBe(true)
    expect(node.changes[4]?.event).toEqual(expect.objectContaining({ _tag: 'Failed', failures: 1 }))
  })

  it('lets one probe out at a time, and a probe that succeeds brings the node up', () => {
    const node = machine()
    node.request(failed)
    node.at(5000)
    const probe = node.health.admit()
    expect(probe).toEqual(O.some({ probe: true, epoch: 1 }))
    expect(node.health.admit()).toEqual(O.none)
    expect(node.health.refusal()).toContain('being probed')
    if (O.isSome(probe)) node.health.record(probe.value, answered)
    expect(node.health.current()).toBe(healthy)
    expect(node.tags()).toEqual(['Failed', 'Up'])
    expect(node.health.admit()).toEqual(O.some({ probe: false, epoch: 2 }))
    // A plain request's leave is one value until the state changes.
    expect(node.health.admit()).toBe(node.health.admit())
  })

  it('gives the probe back when its outcome is unknown, so the next request may probe', () => {
    const node = machine()
    node.request(failed)
    node.at(5000)
    const probe = node.health.admit()
    if (O.isNone(probe)) throw new Error('no probe')
    node.health.giveBack(probe.value)
    expect(node.health.current()._tag).toBe('Failing')
    expect(node.health.admit()).toEqual(O.some({ probe: true, epoch: 1 }))
  })

  it('counts the failures of requests admitted before the last change once', () => {
    const node = machine(pymemcacheHealth({ retryAttempts: 1 }))
    const tickets = Array.from({ length: 8 }, () => node.health.admit())
    for (const ticket of tickets) if (O.isSome(ticket)) node.health.record(ticket.value, failed)
    expect(node.tags()).toEqual(['Failed'])
    expect(node.health.current()).toEqual({ _tag: 'Failing', failures: 1, since: 0 })
  })

  it('takes an error not held against the node as an answer: a probe ending in InvalidKey brings it up', () => {
    const node = machine()
    node.request(failed)
    node.at(5000)
    expect(node.request(E.left(invalidKey('a b', 'space')))).toBe(true)
    expect(node.tags()).toEqual(['Failed', 'Up'])
  })

  it('drops an exception thrown by the change hook, with the state already moved', () => {
    const health = makeNodeHealth(NODE, {
      policy: pymemcacheHealth(),
      now: () => 0,
      onChange: () => {
        throw new Error('hook broke')
      },
    })
    const ticket = health.admit()
    if (O.isSome(ticket)) health.record(ticket.value, failed)
    expect(health.current()._tag).toBe('Failing')
  })

  it('runs any HealthPolicy: one that never refuses and never counts', () => {
    const lenient: HealthPolicy = {
      name: 'lenient',
      admission: () => 'send',
      afterFailure: (health) => health,
      afterSuccess: (health) => health,
      afterTime: (health) => health,
      refusal: (node) => `${node} never refuses`,
    }
    const node = machine(lenient)
    for (let i = 0; i < 10; i++) expect(node.request(failed)).toBe(true)
    expect(node.health.current()).toBe(healthy)
    expect(node.changes).toEqual([])
  })
})
