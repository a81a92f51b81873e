// Makes sure the programs the integration suites need are on this machine before `npm test`:
// Debian's memcached and python3-pymemcache (for /usr/bin/python3). Installs them with apt-get
// when they are missing and we run as root; otherwise says clearly what to install and fails.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const PYTHON = '/usr/bin/python3'

const hasMemcached = () => spawnSync('memcached', ['-h'], { stdio: 'ignore' }).status === 0
const hasPymemcache = () => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pymemcache'], { stdio: 'ignore' }).status === 0

const missing = []
if (!hasMemcached()) missing.push('memcached')
if (!hasPymemcache()) missing.push('python3-pymemcache')

if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  if (!isRoot || !hasApt) {
    console.error(`fp-memcache tests need: ${missing.join(', ')}. Install them (Debian: apt-get install ${missing.join(' ')}) and run npm test again.`)
    process.exit(1)
  }
  console.log(`installing ${missing.join(', ')} with apt-get...`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
  if (!hasMemcached() || !hasPymemcache()) {
    console.error('apt-get finished but memcached or pymemcache is still missing')
    process.exit(1)
  }
}
