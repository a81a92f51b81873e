/**
 * Compiles the library and the bench to plain JavaScript in a temp dir, the way `tsc` emits it, so
 * that `npm run bench` measures the code users run. Under `tsx`, esbuild's `keepNames` wraps every
 * named closure the library creates in a `__name(...)` call (a `defineProperty` each time): up to a
 * quarter of fp-memcache's CPU time on the set path, a cost the competitors (plain JavaScript in
 * node_modules) never pay.
 *
 * Types are erased file by file with TypeScript's `transpileModule` (no type check: `npm run
 * typecheck` does that); `node_modules` is linked in, so imports resolve as in the checkout.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'

const typescriptFiles = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return typescriptFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })

/**
 * Transpiles `src/**` and `files` (paths relative to `root`) into a new temp dir with the same
 * layout; returns the dir. The caller removes it.
 *
 * @example
 * const out = compileForBench(root, ['bench/suite.ts'])
 * spawn(process.execPath, [join(out, 'bench/suite.js')])
 */
export const compileForBench = (root: string, files: ReadonlyArray<string>): string => {
  const out = mkdtempSync(join(tmpdir(), 'fp-memcache-bench-'))
  const sources = [...typescriptFiles(join(root, 'src')), ...files.map((file) => join(root, file))]
  for (const source of sources) {
    const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    })
    const target = join(out, relative(root, source)).replace(/\.ts$/, '.js')
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, outputText)
  }
  // Outside the checkout no package.json says "module"; node_modules is where the checkout's is.
  writeFileSync(join(out, 'package.json'), '{ "type": "module", "private": true }\n')
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir')
  return out
}
