// Makes sure the programs the integration suites need are on this machine before `npm test`:
// Debian's memcached, python3-pymemcache (for /usr/bin/python3) and iproute2 (`ip`, for the
// partition test's network namespaces). Installs them with apt-get
// when they are missing and we run as root; otherwise says clearly what to install and fails.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const PYTHON = '/usr/bin/python3'

const hasMemcached = () => spawnSync('memcached', ['-h'], { stdio: 'ignore' }).status === 0
const hasPymemcache = () => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pymemcache'], { stdio: 'ignore' }).status === 0

const hasIp = () => spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0

const missing = []
if (!hasMemcached()) missing.push('memcached')
if (!hasPymemcache()) missing.push('python3-pymemcache')
// Only root can make network namespaces: elsewhere the partition test says why it cannot run.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
if (!hasIp() && isRoot) missing.push('iproute2')

if (missing.length > 0) {
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  if (!isRoot || !hasApt) {
    console.error(`fp-memcache tests need: ${missing.join(', ')}. Install them (Debian: apt-get install ${missing.join(' ')}) and run npm test again.`)
    process.exit(1)
  }
  console.log(`installing ${missing.join(', ')} with apt-get...`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
  if (!hasMemcached() || !hasPymemcache() || (isRoot && !hasIp())) {
    console.error('apt-get finished but memcached, pymemcache or iproute2 is still missing')
    process.exit(1)
  }
}
