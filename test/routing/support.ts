import { spawnSync } from 'node:child_process'

/** A small seeded PRNG (mulberry32), so "random" keys are the same on every run. */
export const seededRandom = (seed: number) => {
  let state = seed >>> 0
  return (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ASCII = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('')
const UNICODE = ['é', 'ß', 'Ω', 'ж', '中', '文', '€', '😀', '𝄞', 'ÿ', 'Ā']

/** `count` keys of 1..`maxLength` printable ASCII characters; every `unicodeEvery`-th one mixes in non-ASCII. */
export const randomKeys = (seed: number, count: number, options: { maxLength?: number; unicodeEvery?: number } = {}): Array<string> => {
  const random = seededRandom(seed)
  const maxLength = options.maxLength ?? 40
  return Array.from({ length: count }, (_, index) => {
    const length = 1 + Math.floor(random() * maxLength)
    const unicode = options.unicodeEvery !== undefined && index % options.unicodeEvery === 0
    let key = ''
    for (let i = 0; i < length; i++) {
      key += unicode && random() < 0.3 ? UNICODE[Math.floor(random() * UNICODE.length)] : ASCII[Math.floor(random() * ASCII.length)]
    }
    return key
  })
}

/** Runs a Python snippet with Debian's python3 (where pymemcache 3.5.2 lives), JSON in, JSON out. */
export const runPython = <A>(script: string, input: unknown): A => {
  const run = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (run.status !== 0) throw new Error(`python failed (${String(run.status)}): ${run.stderr}`)
  return JSON.parse(run.stdout) as A
}
