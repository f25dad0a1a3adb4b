/**
 * The tdesign-miniprogram components this mini-program uses, with everything they reach
 * (their own usingComponents, required modules, wxs, imported styles), copied into
 * <root>/miniprogram_npm/tdesign-miniprogram/ the way DevTools' 工具 -> 构建 npm lays them out.
 *
 *   node scripts/npm-components.js            copy into miniprogram/miniprogram_npm (git-ignored)
 *   node scripts/npm-components.js --list     print the component folders used
 */
const fs = require('fs')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const LIB = 'tdesign-miniprogram'
const DIST = path.join(ROOT, 'node_modules', LIB, 'miniprogram_dist')
const SKIP = new Set(['node_modules', 'miniprogram_npm', 'build', 'tests', 'scripts'])

/** Every component json of the app (pages and own components) plus app.json. */
function appJsonFiles(dir = ROOT, out = []) {
  for (const name of fs.readdirSync(dir)) {
    if (SKIP.has(name) || name.startsWith('.')) continue
    const full = path.join(dir, name)
    if (fs.statSync(full).isDirectory()) appJsonFiles(full, out)
    else if (name.endsWith('.json') && !/^(package|package-lock|tsconfig|project\..*|sitemap)\.json$/.test(name)) out.push(full)
  }
  return out
}

/** The library's top folders the app names in usingComponents. */
function usedFolders() {
  const used = new Set()
  for (const file of appJsonFiles()) {
    const using = JSON.parse(fs.readFileSync(file, 'utf8')).usingComponents || {}
    for (const target of Object.values(using)) {
      if (target.startsWith(`${LIB}/`)) used.add(target.split('/')[1])
    }
  }
  return used
}

/** The folders reached from the used ones, through `../name/` references in any file. */
function closure(start) {
  const seen = new Set()
  const queue = [...start]
  while (queue.length) {
    const folder = queue.pop()
    if (seen.has(folder)) continue
    const dir = path.join(DIST, folder)
    if (!fs.existsSync(dir)) throw new Error(`${LIB} has no component folder ${folder}`)
    seen.add(folder)
    for (const file of walk(dir)) {
      const text = fs.readFileSync(file, 'utf8')
      for (const match of text.matchAll(/\.\.\/([A-Za-z0-9_-]+)\//g)) {
        if (fs.existsSync(path.join(DIST, match[1]))) queue.push(match[1])
      }
    }
  }
  return [...seen].sort()
}

function walk(dir, out = []) {
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name)
    if (fs.statSync(full).isDirectory()) walk(full, out)
    else if (!name.endsWith('.d.ts')) out.push(full)
  }
  return out
}

/**
 * Copy the used folders (no .d.ts) under <root>/miniprogram_npm/tdesign-miniprogram, and tslib
 * (the library's modules import its helpers) as miniprogram_npm/tslib. `transform(text, file)`
 * may rewrite each .js on the way (the test build turns ES modules into CommonJS, as DevTools does).
 */
function copyUsed(root, transform = null) {
  const target = path.join(root, 'miniprogram_npm', LIB)
  fs.rmSync(target, { recursive: true, force: true })
  const folders = closure(usedFolders())
  for (const folder of folders) {
    for (const file of walk(path.join(DIST, folder))) {
      const dest = path.join(target, path.relative(DIST, file))
      fs.mkdirSync(path.dirname(dest), { recursive: true })
      if (transform && file.endsWith('.js')) fs.writeFileSync(dest, transform(fs.readFileSync(file, 'utf8'), file))
      else fs.copyFileSync(file, dest)
    }
  }
  // The library's own dependencies (dayjs for its locales, used by t-qrcode ...) sit in its
  // miniprogram_npm/, where 构建 npm leaves them too; copy those the copied files import.
  const nested = path.join(DIST, 'miniprogram_npm')
  const deps = fs.existsSync(nested) ? fs.readdirSync(nested) : []
  const imported = deps.filter((dep) => folders.some((folder) => walk(path.join(DIST, folder))
    .some((file) => file.endsWith('.js') && new RegExp(`["']${dep}(/[^"']*)?["']`).test(fs.readFileSync(file, 'utf8')))))
  for (const dep of imported) {
    for (const file of walk(path.join(nested, dep))) {
      const dest = path.join(target, 'miniprogram_npm', path.relative(nested, file))
      fs.mkdirSync(path.dirname(dest), { recursive: true })
      if (transform && file.endsWith('.js')) fs.writeFileSync(dest, transform(fs.readFileSync(file, 'utf8'), file))
      else fs.copyFileSync(file, dest)
    }
  }
  const tslib = path.join(ROOT, 'node_modules', 'tslib')
  const tslibDest = path.join(root, 'miniprogram_npm', 'tslib')
  fs.rmSync(tslibDest, { recursive: true, force: true })
  fs.mkdirSync(tslibDest, { recursive: true })
  fs.copyFileSync(path.join(tslib, 'tslib.js'), path.join(tslibDest, 'index.js'))
  return folders
}

module.exports = { copyUsed, usedFolders, closure, LIB }

if (require.main === module) {
  if (process.argv.includes('--list')) console.log(closure(usedFolders()).join('\n'))
  else console.log(`copied ${copyUsed(ROOT).length} ${LIB} folders into miniprogram_npm/`)
}
