/**
 * The mini-program as DevTools compiles it, into a folder of its own (default build/): each .ts
 * to a .js of the same name (one file each, CommonJS, no bundling), wxml/wxss/json/wxs copied,
 * and the used library components under miniprogram_npm/. Tests load pages from there; the
 * size benchmark measures it.
 *
 *   node scripts/build.js [outDir]
 */
const fs = require('fs')
const path = require('path')
const esbuild = require('esbuild')
const { copyUsed, LIB } = require('./npm-components')

const ROOT = path.resolve(__dirname, '..')
const SKIP = new Set(['node_modules', 'miniprogram_npm', 'build', 'tests', 'scripts'])
const COPY = new Set(['.wxml', '.wxss', '.json', '.wxs'])
const NOT_SHIPPED = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'jest.config.js', 'project.config.json', 'project.private.config.json'])

function build(out) {
  fs.rmSync(out, { recursive: true, force: true })
  const visit = (dir) => {
    for (const name of fs.readdirSync(dir)) {
      if (SKIP.has(name) || name.startsWith('.')) continue
      const full = path.join(dir, name)
      const rel = path.relative(ROOT, full)
      if (fs.statSync(full).isDirectory()) { visit(full); continue }
      if (NOT_SHIPPED.has(rel)) continue
      const ext = path.extname(name)
      if (ext === '.ts' && !name.endsWith('.d.ts')) {
        const { code } = esbuild.transformSync(fs.readFileSync(full, 'utf8'), {
          loader: 'ts', format: 'cjs', target: 'es2018', sourcefile: rel,
        })
        write(path.join(out, rel.replace(/\.ts$/, '.js')), code)
      } else if (COPY.has(ext)) {
        let text = fs.readFileSync(full, 'utf8')
        if (ext === '.json') text = resolveNpm(text, path.dirname(rel))
        write(path.join(out, rel), text)
      }
    }
  }
  visit(ROOT)
  copyUsed(out, (text, file) => esbuild.transformSync(text, { format: 'cjs', target: 'es2018', sourcefile: file }).code)
  return out
}

/** `tdesign-miniprogram/button/button` -> the path DevTools resolves it to, from the root. */
function resolveNpm(text, dir) {
  const json = JSON.parse(text)
  const using = json.usingComponents
  if (!using) return text
  for (const [tag, target] of Object.entries(using)) {
    if (target.startsWith(`${LIB}/`)) using[tag] = `/miniprogram_npm/${target}`
  }
  return JSON.stringify(json, null, 2)
}

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
}

module.exports = { build }

if (require.main === module) {
  const out = path.resolve(process.argv[2] || path.join(ROOT, 'build'))
  build(out)
  console.log(`built ${path.relative(process.cwd(), out) || '.'}`)
}
