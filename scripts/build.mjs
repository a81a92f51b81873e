// `npm run build`: the package from src, twice, side by side.
//
// - ES modules in dist/: the program of tsconfig.build.json, type-checked, with declarations.
// - CommonJS in dist/cjs/: each source transpiled alone with tsconfig.cjs.json's options (the
//   sources are isolatedModules-safe, so this is what `tsc -p tsconfig.cjs.json` writes, without
//   checking the same code a second time), and the declarations copied from dist/. dist/cjs gets a
//   package.json saying `"type": "commonjs"`: Node then loads its .js files as CommonJS, and
//   TypeScript reads its .d.ts files as CommonJS declarations, inside the package's `"type": "module"`.
//
// The command line (src/cli, the package's `bin`) is built as ES modules only: dist/cli/main.js
// keeps its `#!/usr/bin/env node` line and is made executable.
//
// `--out-dir <dir>` builds there instead of dist/ (test/cli runs the built CLI from a folder of its
// own, so that it never races test/package over dist/).
//
// The old dist/ is removed first, so nothing stale is packed. One process, one TypeScript load.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outDirFlag = process.argv.indexOf('--out-dir')
const dist = outDirFlag > 0 && process.argv[outDirFlag + 1] !== undefined ? resolve(process.argv[outDirFlag + 1]) : join(root, 'dist')
const cjs = join(dist, 'cjs')
const cli = join(root, 'src', 'cli')
const isCli = (file) => !relative(cli, file).startsWith('..')

const host = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
}

const fail = (diagnostics) => {
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host))
  process.exit(1)
}

const parseConfig = (name) => {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, name), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail([diagnostic]) })
  if (parsed === undefined) process.exit(1)
  if (parsed.errors.length > 0) fail(parsed.errors)
  return parsed
}

/** Map files name their sources relative to themselves: the same source seen from another folder. */
const moveMap = (text, from, to) => {
  const map = JSON.parse(text)
  map.sources = map.sources.map((source) => relative(dirname(to), join(dirname(from), source)).split(sep).join('/'))
  map.file = basename(to).replace(/\.map$/, '')
  return JSON.stringify(map)
}

const write = (file, text) => {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, text)
}

rmSync(dist, { recursive: true, force: true })

const esm = parseConfig('tsconfig.build.json')

// `--transpile-only`: the ES modules alone, each file transpiled without type-checking (the suite
// type-checks the sources once already), for tests that run the built code (test/cli): seconds
// instead of a minute on a small machine.
if (process.argv.includes('--transpile-only')) {
  const sourceRoot = esm.options.rootDir ?? join(root, 'src')
  for (const source of esm.fileNames.filter((file) => !file.endsWith('.d.ts'))) {
    const result = ts.transpileModule(readFileSync(source, 'utf8'), {
      compilerOptions: { ...esm.options, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, declaration: false, declarationMap: false, sourceMap: false },
      fileName: source,
      reportDiagnostics: true,
    })
    if (result.diagnostics !== undefined && result.diagnostics.length > 0) fail(result.diagnostics)
    write(join(dist, relative(sourceRoot, source)).replace(/\.ts$/, '.js'), result.outputText)
  }
  chmodSync(join(dist, 'cli', 'main.js'), 0o755)
  process.exit(0)
}

// ES modules, checked.
const program = ts.createProgram({ rootNames: esm.fileNames, options: { ...esm.options, outDir: dist }, projectReferences: esm.projectReferences })
const emitted = program.emit()
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]
if (diagnostics.length > 0 || emitted.emitSkipped) fail(diagnostics)

// CommonJS, transpiled file by file.
const commonjs = parseConfig('tsconfig.cjs.json')
const sourceRoot = esm.options.rootDir ?? join(root, 'src')
for (const source of esm.fileNames.filter((file) => !file.endsWith('.d.ts') && !isCli(file))) {
  const target = join(cjs, relative(sourceRoot, source)).replace(/\.ts$/, '.js')
  const result = ts.transpileModule(readFileSync(source, 'utf8'), { compilerOptions: commonjs.options, fileName: source, reportDiagnostics: true })
  if (result.diagnostics !== undefined && result.diagnostics.length > 0) fail(result.diagnostics)
  write(target, result.outputText)
  if (result.sourceMapText !== undefined) {
    const map = JSON.parse(result.sourceMapText)
    map.sources = [relative(dirname(target), source).split(sep).join('/')]
    map.file = basename(target)
    write(`${target}.map`, JSON.stringify(map))
  }
}

// The declarations are the same text in both builds; the package.json beside them says which module kind they describe.
const copyDeclarations = (folder) => {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const from = join(folder, entry.name)
    if (entry.isDirectory()) {
      if (from !== cjs && from !== join(dist, 'cli')) copyDeclarations(from)
      continue
    }
    const to = join(cjs, relative(dist, from))
    if (entry.name.endsWith('.d.ts')) write(to, readFileSync(from, 'utf8'))
    else if (entry.name.endsWith('.d.ts.map')) write(to, moveMap(readFileSync(from, 'utf8'), from, to))
  }
}
copyDeclarations(dist)
write(join(cjs, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`)

// The executable: `npm install` links it as `fp-memcache`; its shebang line came through from the source.
chmodSync(join(dist, 'cli', 'main.js'), 0o755)
