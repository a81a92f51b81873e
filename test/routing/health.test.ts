import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { describe, expect, it } from 'vitest'
import { invalidKey, protocolError, serverError } from '../../src/protocol/error.js'
import { circuitBreakerHealth, healthy, makeNodeHealth, pymemcacheHealth, type Health, type HealthEvent, type HealthPolicy } from '../../src/routing/health.js'
import type { MemcacheError } from '../../src/error.js'
import { aborted, connectError, connectionClosed, overloaded, timeout } from '../../src/transport/error.js'

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

describe('circuitBreakerHealth: the policy alone', () => {
  const policy = circuitBreakerHealth()
  const slow = timeout(60, 'get', NODE)
  const reset = connectionClosed(NODE, 'was reset by the server')
  /** The state after `errors`, one after the other, at 1 ms apart from 0. */
  const after = (errors: ReadonlyArray<MemcacheError>, from: Health = healthy, given = policy) =>
    errors.reduce((health, error, index) => given.afterFailure(health, error, index), from)

  it('suspects a node at its first failure and still sends it requests', () => {
    expect(policy.afterFailure(healthy, refused, 7)).toEqual({ _tag: 'Suspected', failures: 1, weight: 1, since: 7 })
    expect(policy.afterFailure(healthy, slow, 7)).toEqual({ _tag: 'Suspected', failures: 1, weight: 0.5, since: 7 })
    expect(policy.admission({ _tag: 'Suspected', failures: 2, weight: 2, since: 0 }, 1)).toBe('send')
  })

  it('takes a node out at three refusals or resets in a row, or six timeouts, and probes it at once', () => {
    expect(after([refused, reset, refused])).toEqual({ _tag: 'Failing', failures: 3, since: 2, probeAt: 2 })
    expect(after([slow, slow, slow, slow, slow])._tag).toBe('Suspected')
    expect(after([slow, slow, slow, slow, slow, slow])).toEqual({ _tag: 'Failing', failures: 6, since: 5, probeAt: 5 })
    expect(after([refused, slow, refused, slow])._tag).toBe('Failing')
    // A connect that timed out is a timeout; a reply that cannot be read weighs as one too.
    expect(after([refused, refused, connectError(NODE, 'ETIMEDOUT', 'not connected within 1000 ms')])._tag).toBe('Suspected')
    expect(after([refused, refused, protocolError('garbage')])._tag).toBe('Suspected')
    expect(policy.admission({ _tag: 'Failing', failures: 3, since: 2, probeAt: 2 }, 2)).toBe('probe')
  })

  it('tries a node out of service again every probeInterval while its trials fail, and puts it back on the first success', () => {
    const out = after([refused, refused, refused])
    const stillOut = policy.afterFailure(out, refused, 100)
    expect(stillOut).toEqual({ _tag: 'Failing', failures: 4, since: 100, probeAt: 1100 })
    expect(policy.admission(stillOut, 1099)).toBe('refuse')
    expect(policy.admission(stillOut, 1100)).toBe('probe')
    expect(policy.afterSuccess(stillOut, false, 1100)).toBe(stillOut)
    expect(policy.afterSuccess(stillOut, true, 1100)).toBe(healthy)
    expect(policy.afterTime(stillOut, 1_000_000)).toBe(stillOut)
  })

  it('clears a suspicion at the first answer, and forgets a failure older than the window', () => {
    expect(policy.afterSuccess(after([refused, refused]), false, 5)).toBe(healthy)
    const suspected: Health = { _tag: 'Suspected', failures: 2, weight: 2, since: 0 }
    expect(policy.afterFailure(suspected, refused, 10_000)._tag).toBe('Failing')
    expect(policy.afterFailure(suspected, refused, 10_001)).toEqual({ _tag: 'Suspected', failures: 1, weight: 1, since: 10_001 })
  })

  it('holds nothing against a node that answered or was not asked, and returns the state itself', () => {
    const suspected = after([refused])
    for (const error of [invalidKey('a b', 'space'), aborted('get', 'gone'), overloaded(10_000), serverError('out of memory')]) {
      expect(policy.afterFailure(suspected, error, 3)).toBe(suspected)
    }
    expect(policy.afterSuccess(healthy, false, 3)).toBe(healthy)
  })

  it('takes its knobs: threshold, timeoutWeight, window, probeInterval', () => {
    const strict = circuitBreakerHealth({ threshold: 1, probeInterval: 50 })
    expect(after([slow], healthy, strict)).toEqual({ _tag: 'Suspected', failures: 1, weight: 0.5, since: 0 })
    expect(after([refused], healthy, strict)).toEqual({ _tag: 'Failing', failures: 1, since: 0, probeAt: 0 })
    expect(strict.afterFailure(after([refused], healthy, strict), refused, 10)).toEqual({ _tag: 'Failing', failures: 2, since: 10, probeAt: 60 })
    const patient = circuitBreakerHealth({ timeoutWeight: 0 })
    expect(patient.afterFailure(healthy, slow, 0)).toBe(healthy)
    const forgetful = circuitBreakerHealth({ window: 10 })
    expect(forgetful.afterFailure(after([refused, refused], healthy, forgetful), refused, 12)._tag).toBe('Suspected')
  })

  it('says why a node out of service refuses', () => {
    expect(policy.refusal(NODE, { _tag: 'Failing', failures: 4, since: 0, probeAt: 1000 })).toContain('out of service after 4 failures')
    expect(policy.refusal(NODE, healthy)).toContain('up')
  })
})

describe('makeNodeHealth with the default policy, circuitBreakerHealth', () => {
  const defaultMachine = () => {
    let clock = 0
    const changes: Array<HealthEvent> = []
    const health = makeNodeHealth(NODE, { now: () => clock, onChange: (event) => changes.push(event) })
    const request = (outcome: E.Either<MemcacheError, unknown>): boolean => {
      const ticket = health.admit()
      if (O.isNone(ticket)) return false
      health.record(ticket.value, outcome)
      return true
    }
    return { health, changes, request, at: (ms: number) => (clock = ms) }
  }

  it('keeps a node that fails now and then in service, and tells nothing of it', () => {
    const node = defaultMachine()
    for (let i = 0; i < 100; i++) expect(node.request(i % 3 === 0 ? E.left(timeout(60, 'get', NODE)) : answered)).toBe(true)
    for (let i = 0; i < 20; i++) expect(node.request(i % 2 === 0 ? failed : answered)).toBe(true)
    expect(node.health.current()).toBe(healthy)
    expect(node.changes).toEqual([])
  })

  it('takes a dead node out at the third refusal, probes it one request at a time, and tells both changes', () => {
    const node = defaultMachine()
    for (let i = 0; i < 3; i++) expect(node.request(failed)).toBe(true)
    expect(node.changes).toEqual([{ _tag: 'Failed', node: NODE, failures: 3, error: refused }])
    const probe = node.health.admit()
    expect(probe).toEqual(O.some({ probe: true, epoch: 3 }))
    expect(node.health.admit()).toEqual(O.none)
    expect(node.health.refusal()).toContain('being probed')
    if (O.isSome(probe)) node.health.record(probe.value, failed)
    expect(node.request(answered)).toBe(false)
    expect(node.health.refusal()).toContain('out of service after 4 failures')
    node.at(1000)
    expect(node.request(answered)).toBe(true)
    expect(node.health.current()).toBe(healthy)
    expect(node.changes.map((event) => event._tag)).toEqual(['Failed', 'Failed', 'Up'])
  })

  it('gives an aborted probe back: it says nothing about the node', () => {
    const node = defaultMachine()
    for (let i = 0; i < 3; i++) node.request(failed)
    expect(node.request(E.left(aborted('get', 'the caller left')))).toBe(true)
    expect(node.health.current()._tag).toBe('Failing')
    expect(node.health.admit()).toEqual(O.some({ probe: true, epoch: 3 }))
  })
})
