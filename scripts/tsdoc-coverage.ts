// Every public export of the package, and whether its declaration carries TSDoc with an example.
//
// The public surface is what package.json's `exports` map names: each subpath's source entry
// (`./dist/x/index.js` is built from `src/x/index.ts`). For every symbol those entries export,
// aliases are followed to the declarations, and a declaration counts as documented when it has a
// TSDoc comment; an exported function or constant also needs an `@example` (types, interfaces and
// namespaces re-exported whole document themselves through their members).
//
// Used by test/docs.test.ts (the test fails on any gap) and by `npm run docs:check`.

import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** One export without the documentation it needs. */
export interface Gap {
  /** The package subpath it is exported from, e.g. `.` or `./protocol`. */
  readonly entry: string
  readonly name: string
  readonly file: string
  readonly line: number
  readonly problem: string
}

interface ExportTarget {
  readonly import?: { readonly default?: string }
}

/** The source entry of every subpath in package.json's `exports`, e.g. `{ '.': 'src/index.ts' }`. */
export const publicEntries = (): Readonly<Record<string, string>> => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { readonly exports: Readonly<Record<string, string | ExportTarget>> }
  const entries: Record<string, string> = {}
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const built = typeof target === 'string' ? target : target.import?.default
    if (typeof built !== 'string' || !built.startsWith('./dist/') || !built.endsWith('.js')) continue
    entries[subpath] = built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')
  }
  return entries
}

/** Functions, and constants holding a function (or an object of them): how to call them is shown. */
const needsExample = (declaration: ts.Declaration, checker: ts.TypeChecker): boolean =>
  ts.isFunctionDeclaration(declaration) ||
  (ts.isVariableDeclaration(declaration) && checker.getTypeAtLocation(declaration).getCallSignatures().length > 0)

const docsOf = (declaration: ts.Declaration): ReadonlyArray<ts.JSDoc> => {
  const holder: ts.Node = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration
  return ts.getJSDocCommentsAndTags(holder).filter(ts.isJSDoc)
}

const hasText = (doc: ts.JSDoc): boolean => {
  const comment = typeof doc.comment === 'string' ? doc.comment : (doc.comment ?? []).map((part) => part.text).join('')
  return comment.trim().length > 0 || (doc.tags ?? []).some((tag) => tag.tagName.text !== 'category' && tag.tagName.text !== 'since')
}

/** The exports that lack documentation (none when every export is documented), for `only` these subpaths or all. */
export const undocumentedExports = (only?: ReadonlyArray<string>): ReadonlyArray<Gap> => {
  const entries = publicEntries()
  const names = only ?? Object.keys(entries)
  const files = names.map((name) => join(root, entries[name] ?? name))
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })
  const program = ts.createProgram({ rootNames: files, options: config?.options ?? {} })
  const checker = program.getTypeChecker()
  const gaps: Array<Gap> = []
  const seen = new Set<string>()
  for (const name of names) {
    const source = program.getSourceFile(join(root, entries[name] ?? name))
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source)
    if (moduleSymbol === undefined) {
      gaps.push({ entry: name, name: '(module)', file: entries[name] ?? name, line: 0, problem: 'entry not found' })
      continue
    }
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      // Overloads and merged declarations share one symbol: its TSDoc may sit on any of them.
      const declarations = (symbol.declarations ?? []).filter(
        (declaration) =>
          !ts.isSourceFile(declaration) &&
          !ts.isModuleDeclaration(declaration) &&
          !ts.isNamespaceImport(declaration) &&
          !ts.isNamespaceExport(declaration) &&
          !declaration.getSourceFile().isDeclarationFile,
      )
      const first = declarations[0]
      if (first === undefined) continue
      const file = first.getSourceFile()
      const key = `${file.fileName}:${first.pos}`
      if (seen.has(key)) continue
      seen.add(key)
      const where = { entry: name, name: exported.name, file: relative(root, file.fileName), line: file.getLineAndCharacterOfPosition(first.getStart()).line + 1 }
      const docs = declarations.flatMap(docsOf)
      if (!docs.some(hasText)) gaps.push({ ...where, problem: 'no TSDoc' })
      else if (declarations.some((declaration) => needsExample(declaration, checker)) && !docs.some((doc) => (doc.tags ?? []).some((tag) => tag.tagName.text === 'example')))
        gaps.push({ ...where, problem: 'no @example' })
    }
  }
  return gaps
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const gaps = undocumentedExports()
  for (const gap of gaps) console.log(`${gap.file}:${gap.line}  ${gap.name} (${gap.entry}): ${gap.problem}`)
  console.log(`${gaps.length} undocumented`)
  process.exit(gaps.length === 0 ? 0 : 1)
}
