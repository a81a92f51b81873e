/**
 * `commands(serde, defaults)`: one bundle whose writes all take `defaults.noreply` (except `cas`,
 * whose outcome is the point of calling it), and whose commands without values are the
 * stand-alone functions themselves.
 */
import { describe, expect, it } from 'vitest'
import { cacheMemlimit, flushAll, quit, shutdown, verbosity, version } from '../../src/commands/admin.js'
import { decr, incr } from '../../src/commands/arithmetic.js'
import { commands } from '../../src/commands/commands.js'
import { raw } from '../../src/commands/raw.js'
import { stats, statsConns, statsItems, statsReset, statsSettings, statsSizes, statsSlabs } from '../../src/commands/stats.js'
import * as Reply from '../../src/protocol/reply.js'
import { expectsNoReply } from '../../src/protocol/request.js'
import { text } from '../../src/serde/text.js'
import { scripted } from './support.js'

describe('commands', () => {
  it('gives every write that takes noreply the default, and cas never', async () => {
    const quiet = commands(text, { noreply: true })
    const transport = scripted((request) => (expectsNoReply(request) ? Reply.noReply : Reply.stored))
    const writes = [
      quiet.set('a', 'v'),
      quiet.add('a', 'v'),
      quiet.replace('a', 'v'),
      quiet.append('a', 'v'),
      quiet.prepend('a', 'v'),
      quiet.setMany([['b', 'v']]),
      quiet.delete('a'),
      quiet.deleteMany(['c']),
      quiet.touch('a', 10),
      quiet.cas('a', 'v', 7n),
    ]
    for (const write of writes) expect((await write(transport)())._tag).toBe('Right')
    expect(transport.written.map((wire) => wire.split('\r\n', 1)[0])).toEqual([
      'set a 0 0 1 noreply',
      'add a 0 0 1 noreply',
      'replace a 0 0 1 noreply',
      'append a 0 0 1 noreply',
      'prepend a 0 0 1 noreply',
      'set b 0 0 1 noreply',
      'delete a noreply',
      'delete c noreply',
      'touch a 10 noreply',
      'cas a 0 0 1 7',
    ])
  })

  it('without defaults, writes wait for their reply', async () => {
    const transport = scripted(() => Reply.stored)
    await commands(text).set('a', 'v')(transport)()
    expect(transport.written).toEqual(['set a 0 0 1\r\nv\r\n'])
  })

  it('the commands without values or a meta path are the stand-alone ones', () => {
    const all = commands(text)
    // incr and decr choose their protocol (see test/commands/meta-path.test.ts): not the stand-alone ones.
    expect([all.incr, all.decr].map((command) => command === incr || command === decr)).toEqual([false, false])
    expect([all.raw, all.flushAll, all.version, all.verbosity, all.cacheMemlimit, all.quit, all.shutdown]).toEqual([
      raw,
      flushAll,
      version,
      verbosity,
      cacheMemlimit,
      quit,
      shutdown,
    ])
    expect([all.stats, all.statsSettings, all.statsItems, all.statsSlabs, all.statsSizes, all.statsConns, all.statsReset]).toEqual([
      stats,
      statsSettings,
      statsItems,
      statsSlabs,
      statsSizes,
      statsConns,
      statsReset,
    ])
  })
})
