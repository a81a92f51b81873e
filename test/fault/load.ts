/**
 * A mixed load (get, getMany, set, delete, incr) whose every answer can be checked: a value names
 * its key and a version that was written, and its length follows from both, so a reply that
 * reached the wrong request, or a value cut short or glued to another, is counted `wrong`.
 * Counters start at a base that names their key, so an `incr` reply from another counter is out of
 * range; each `incr` by one returns a number never seen before for that key.
 *
 * A miss or an error is never wrong: under faults, writes may be lost. Only a value that is not one
 * the test could have stored under that key is.
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Client } from '../../src/client.js'
import { count, watched } from './support.js'

export interface LoadOptions {
  readonly client: Client<string>
  /** Requests to send in all. */
  readonly requests: number
  /** Workers, each with one request in flight. */
  readonly concurrency: number
  /** Keys are `${prefix}d0…` and counters `${prefix}n0…`. */
  readonly prefix: string
  readonly keys: number
  readonly random: () => number
  /** How long past its start a request may take before it is counted hung (its deadline + a margin). */
  readonly patienceMs: number
  /** What was written so far: share one between loads on the same keys. Default: a fresh one. */
  readonly state?: LoadState
  /** Called after each request settles, with how many have; returning a promise pauses that worker. */
  readonly onProgress?: (settled: number) => void | Promise<void>
}

export interface LoadReport {
  tried: number
  ok: number
  misses: number
  hung: number
  /** Descriptions of the first wrong answers, and their count. */
  readonly wrongExamples: Array<string>
  wrong: number
  /** Errors by tag (`rejected` for a TaskEither that rejected, which must never happen). */
  readonly errors: Record<string, number>
}

/** What the checks need to know about earlier requests on the same keys. */
export interface LoadState {
  /** Per data key, the highest version sent (a `set` may have landed even when it failed). */
  readonly written: Array<number>
  /** Per counter, the `incr`s sent so far. */
  readonly incrsSent: Array<number>
  /** Per counter, the values returned so far. */
  readonly seen: ReadonlyArray<Set<bigint>>
}

export const makeLoadState = (keys: number): LoadState => ({
  written: new Array<number>(keys).fill(0),
  incrsSent: new Array<number>(keys).fill(0),
  seen: Array.from({ length: keys }, () => new Set<bigint>()),
})

/** The base of counter `index`: its range names it. */
export const counterBase = (index: number): bigint => BigInt(index + 1) * 1_000_000_000n

/** Length of the padding of version `version` of data key `index`: mostly small, now and then 20 KB and more. */
const padLength = (index: number, version: number): number => {
  const mix = (index * 7919 + version * 104_729) >>> 0
  return mix % 41 === 0 ? 20_000 + (mix % 5000) : mix % 600
}

/** The value of version `version` of key `key` (no CR, no LF, no space). */
export const valueOf = (key: string, index: number, version: number): string => `${key}|${version}|${'x'.repeat(padLength(index, version))}`

export const emptyReport = (): LoadReport => ({ tried: 0, ok: 0, misses: 0, hung: 0, wrong: 0, wrongExamples: [], errors: {} })

/** Adds `more` into `total`. */
export const addReport = (total: LoadReport, more: LoadReport): void => {
  total.tried += more.tried
  total.ok += more.ok
  total.misses += more.misses
  total.hung += more.hung
  total.wrong += more.wrong
  total.wrongExamples.push(...more.wrongExamples.slice(0, Math.max(0, 10 - total.wrongExamples.length)))
  for (const [tag, n] of Object.entries(more.errors)) total.errors[tag] = (total.errors[tag] ?? 0) + n
}

/** Sets every counter to its base through `client` (a clean path), retrying a few times. */
export const seedCounters = async (client: Client<string>, prefix: string, keys: number): Promise<void> => {
  for (let index = 0; index < keys; index++) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await client.set(`${prefix}n${index}`, counterBase(index).toString())()
      if (E.isRight(result)) break
    }
  }
}

/**
 * Runs the load and checks every answer.
 *
 * @example
 * const report = await mixedLoad({ client, requests: 2000, concurrency: 32, prefix: 'a:', keys: 100, random, patienceMs: 5000 })
 * expect(report.wrong).toBe(0)
 */
export const mixedLoad = async (options: LoadOptions): Promise<LoadReport> => {
  const { client, random, prefix, keys } = options
  const report = emptyReport()
  const { written, incrsSent, seen } = options.state ?? makeLoadState(keys)
  let started = 0
  let settled = 0

  const wrong = (what: string): void => {
    report.wrong++
    if (report.wrongExamples.length < 10) report.wrongExamples.push(what)
  }
  const checkValue = (key: string, index: number, value: string): void => {
    const match = /^(.*)\|(\d+)\|(x*)$/.exec(value)
    const version = match === null ? NaN : Number(match[2])
    if (match === null || match[1] !== key || !(version >= 1 && version <= (written[index] ?? 0)) || match[3]?.length !== padLength(index, version)) {
      wrong(`${key} got ${JSON.stringify(value.slice(0, 80))}${value.length > 80 ? `… (${value.length} chars)` : ''}`)
    }
  }
  const outcome = (result: E.Either<{ readonly _tag: string }, unknown>, onRight: () => void): void => {
    if (E.isLeft(result)) count(report.errors, result.left._tag)
    else onRight()
  }

  const one = async (): Promise<void> => {
    const roll = random()
    const index = Math.floor(random() * keys)
    const key = `${prefix}d${index}`
    if (roll < 0.35) {
      const result = await options.client.get(key)()
      outcome(result, () => {
        if (E.isRight(result) && O.isSome(result.right)) {
          report.ok++
          checkValue(key, index, result.right.value)
        } else {
          report.ok++
          report.misses++
        }
      })
    } else if (roll < 0.45) {
      const indexes = [...new Set(Array.from({ length: 2 + Math.floor(random() * 4) }, () => Math.floor(random() * keys)))]
      const asked = indexes.map((i) => `${prefix}d${i}`)
      const result = await client.getMany(asked)()
      outcome(result, () => {
        report.ok++
        if (E.isLeft(result)) return
        for (const [got, value] of result.right) {
          const at = asked.indexOf(got)
          if (at < 0) wrong(`getMany ${asked.join(',')} got key ${got}`)
          else checkValue(got, indexes[at] ?? -1, value)
        }
      })
    } else if (roll < 0.7) {
      const version = (written[index] = (written[index] ?? 0) + 1)
      outcome(await client.set(key, valueOf(key, index, version))(), () => report.ok++)
    } else if (roll < 0.8) {
      outcome(await client.delete(key)(), () => report.ok++)
    } else {
      const counter = `${prefix}n${index}`
      incrsSent[index] = (incrsSent[index] ?? 0) + 1
      const result = await client.incr(counter, 1)()
      outcome(result, () => {
        report.ok++
        if (E.isLeft(result) || O.isNone(result.right)) return
        const got = result.right.value
        const base = counterBase(index)
        const already = seen[index]
        if (got <= base || got > base + BigInt(incrsSent[index] ?? 0) || already === undefined || already.has(got)) {
          wrong(`incr ${counter} (base ${base}, ${incrsSent[index]} sent) got ${got}${already?.has(got) === true ? ' twice' : ''}`)
        }
        already?.add(got)
      })
    }
  }

  const worker = async (): Promise<void> => {
    while (started < options.requests) {
      started++
      report.tried++
      const result = await watched(one, options.patienceMs)
      if (result._tag === 'Hung') report.hung++
      else if (result._tag === 'Rejected') count(report.errors, 'rejected')
      settled++
      await options.onProgress?.(settled)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return report
}
