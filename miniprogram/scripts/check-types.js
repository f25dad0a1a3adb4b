/**
 * Fails when api/types.d.ts is not what `npm run types` makes from ../docs/openapi.json today
 * (regenerated into a temporary file and compared).
 */
const { execFileSync } = require('child_process')
const fs = require('fs')
const os = require('os')
const path = require('path')

const ROOT = path.resolve(__dirname, '..')
const kept = path.join(ROOT, 'api', 'types.d.ts')
const fresh = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mp-types-')), 'types.d.ts')
const cli = path.join(ROOT, 'node_modules', 'openapi-typescript', 'bin', 'cli.js')
execFileSync(process.execPath, [cli, path.join(ROOT, '..', 'docs', 'openapi.json'), '-o', fresh], { stdio: 'pipe', cwd: ROOT })
const same = fs.existsSync(kept) && fs.readFileSync(kept, 'utf8') === fs.readFileSync(fresh, 'utf8')
fs.rmSync(path.dirname(fresh), { recursive: true, force: true })
if (!same) {
  console.error('api/types.d.ts is stale: docs/openapi.json changed. Run `npm run types` in miniprogram/ and commit it.')
  process.exit(1)
}
console.log('api/types.d.ts matches docs/openapi.json')
