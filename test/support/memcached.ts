/**
 * Starts real memcached processes for the integration suites: on a free loopback port (IPv4 or
 * IPv6), on a unix socket in a temp dir, with TLS (a throwaway CA made here), with ASCII auth, or a
 * small item size. Each server is ready (answers a command) when the promise resolves, and is
 * stopped by `stop()` — call it in `afterAll`. Children are killed when the test process exits.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tls from 'node:tls'

export interface MemcachedOptions {
  readonly ipv6?: boolean
  readonly unixSocket?: boolean
  readonly tls?: boolean
  readonly auth?: { readonly username: string; readonly password: string }
  /** memcached's `-I`, e.g. `'64k'`, `'2m'`. */
  readonly itemSizeMax?: string
  readonly memoryMb?: number
  readonly extraArgs?: ReadonlyArray<string>
}

export interface TlsMaterial {
  /** PEM text of the CA that signed the server certificate. */
  readonly ca: string
  readonly cert: string
  readonly key: string
}

export interface MemcachedServer {
  /** What our clients take: `127.0.0.1:PORT`, `[::1]:PORT` or `unix:/path`. */
  readonly server: string
  readonly host: string
  readonly port: number
  readonly socketPath?: string
  readonly tls?: TlsMaterial
  readonly pid: () => number
  readonly stop: () => Promise<void>
  readonly kill: (signal?: NodeJS.Signals) => void
  readonly restart: () => Promise<void>
}

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

const memcachedMissing = (): boolean => spawnSync('memcached', ['-h'], { stdio: 'ignore' }).status !== 0

/** A port that was free a moment ago on `host`. */
export const freePort = (host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, host, () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

let tlsMaterial: TlsMaterial | undefined

/** A CA and a server certificate for localhost, 127.0.0.1 and ::1, made once per test process. */
export const makeTlsMaterial = (): TlsMaterial & { readonly dir: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'fp-memcache-tls-'))
  const run = (args: ReadonlyArray<string>) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fp-memcache test CA'])
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'])
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n')
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext'])
  return {
    dir,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Resolves once the server answers a line to `version` (any line: an auth server says unauthenticated). */
const answers = (connectOnce: () => net.Socket): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connectOnce()
    const finish = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => finish(false))
    socket.once('error', () => finish(false))
    socket.on('data', (chunk) => {
      if (chunk.includes('\r\n')) finish(true)
    })
    socket.write('version\r\n')
  })

/**
 * Starts one memcached and waits until it answers.
 *
 * @example
 * const mc = await startMemcached({ itemSizeMax: '2m' })
 * afterAll(() => mc.stop())
 */
export const startMemcached = async (options: MemcachedOptions = {}): Promise<MemcachedServer> => {
  if (memcachedMissing()) {
    throw new Error('memcached is not installed: run `npm test` (it installs Debian\'s memcached as root) or `apt-get install memcached`')
  }
  const dir = mkdtempSync(join(tmpdir(), 'fp-memcache-mc-'))
  const host = options.ipv6 === true ? '::1' : '127.0.0.1'
  const socketPath = options.unixSocket === true ? join(dir, 'memcached.sock') : undefined
  const port = socketPath === undefined ? await freePort(host) : 0
  const material = options.tls === true ? (tlsMaterial ??= makeTlsMaterial()) : undefined

  const args: Array<string> = ['-U', '0', '-t', '2', '-c', '1024', '-m', String(options.memoryMb ?? 64)]
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('-u', 'root')
  if (socketPath !== undefined) args.push('-s', socketPath, '-a', '0700')
  else args.push('-l', host, '-p', String(port))
  if (options.itemSizeMax !== undefined) args.push('-I', options.itemSizeMax)
  if (options.auth !== undefined) {
    const authFile = join(dir, 'auth')
    writeFileSync(authFile, `${options.auth.username}:${options.auth.password}\n`)
    args.push('-Y', authFile)
  }
  if (material !== undefined) {
    writeFileSync(join(dir, 'server.pem'), material.cert)
    writeFileSync(join(dir, 'server.key'), material.key)
    args.push('-Z', '-o', `ssl_chain_cert=${join(dir, 'server.pem')},ssl_key=${join(dir, 'server.key')}`)
  }
  args.push(...(options.extraArgs ?? []))

  const connectOnce = (): net.Socket =>
    socketPath !== undefined
      ? net.connect(socketPath)
      : material !== undefined
        ? tls.connect({ host, port, ca: material.ca, servername: 'localhost' })
        : net.connect({ host, port })

  let child: ChildProcess | undefined
  let stderr = ''
  const launch = async (): Promise<void> => {
    stderr = ''
    const started = spawn('memcached', args, { stdio: ['ignore', 'ignore', 'pipe'] })
    child = started
    running.add(started)
    started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    started.once('exit', () => running.delete(started))
    for (let attempt = 0; attempt < 100; attempt++) {
      if (started.exitCode !== null) break
      if (await answers(connectOnce)) return
      await sleep(50)
    }
    started.kill('SIGKILL')
    throw new Error(`memcached ${args.join(' ')} did not start: ${stderr.trim() || 'no answer'}`)
  }

  const stopChild = async (): Promise<void> => {
    const current = child
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()))
    current.kill('SIGTERM')
    const timer = setTimeout(() => current.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(timer)
  }

  await launch()

  const server = socketPath !== undefined ? `unix:${socketPath}` : options.ipv6 === true ? `[::1]:${port}` : `127.0.0.1:${port}`
  return {
    server,
    host,
    port,
    ...(socketPath === undefined ? {} : { socketPath }),
    ...(material === undefined ? {} : { tls: { ca: material.ca, cert: material.cert, key: material.key } }),
    pid: () => child?.pid ?? -1,
    kill: (signal = 'SIGKILL') => {
      child?.kill(signal)
    },
    restart: async () => {
      await stopChild()
      if (socketPath !== undefined) rmSync(socketPath, { force: true })
      await launch()
    },
    stop: async () => {
      await stopChild()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
