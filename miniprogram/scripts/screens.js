/**
 * Pictures of every page without WeChat DevTools: each page of app.json (main package and
 * subpackages) is rendered by WeChat's simulator (miniprogram-simulate, as the tests do) with a
 * fake wx and the demo answers of screens/fixtures.js, written as a standalone HTML file (the
 * rendered DOM plus the page's, the components' and app.wxss's styles, rpx turned into px at
 * 750rpx = 375px) and photographed by headless Chromium at 375 px wide (full page, at least
 * 667 px tall).
 *
 *   node scripts/screens.js [outDir]        default outDir: ../docs/miniprogram/screens
 *   node scripts/screens.js --html [outDir]  HTML files only, no Chromium
 *
 * The photographs are taken by Playwright's Chromium from Python (the project's virtualenv has
 * playwright): PYTHON names the interpreter (default: the repository's .venv, else python3),
 * CHROMIUM the browser (default: chromium on the PATH, else Playwright's own).
 * What the pictures approximate is described in docs/miniprogram.md ("Pictures").
 */
const fs = require('fs')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')

const ROOT = path.resolve(__dirname, '..')
const REPO = path.resolve(ROOT, '..')
const WIDTH = 375
const HEIGHT = 667
const RPX = WIDTH / 750

/** Every page of app.json: the main package's, then each subpackage's (root + page). */
function appPages(appJson = path.join(ROOT, 'app.json')) {
  const app = JSON.parse(fs.readFileSync(appJson, 'utf8'))
  const pages = [...(app.pages || [])]
  for (const sub of app.subpackages || app.subPackages || []) {
    for (const page of sub.pages || []) pages.push(`${sub.root.replace(/\/$/, '')}/${page}`)
  }
  return { app, pages }
}

/** `pages/home/index` -> home, `packages/more/about/index` -> more-about. */
function shotName(page) {
  return page.replace(/\/index$/, '').replace(/^pages\//, '').replace(/^packages\//, '').replace(/\//g, '-')
}

/** The pictures to take: one or more per page; fails, naming them, when a page has no fixtures. */
function plan(pages, fixtures) {
  const missing = pages.filter((page) => !fixtures.pages[page])
  if (missing.length) {
    throw new Error(`screens: no demo data for ${missing.join(', ')}. Add an entry for each to `
      + 'miniprogram/screens/fixtures.js (`pages`), with the API answers the page needs.')
  }
  const shots = []
  for (const page of pages) {
    const entries = [].concat(fixtures.pages[page])
    for (const entry of entries) shots.push({ page, name: entry.name || shotName(page), entry })
  }
  const names = shots.map((s) => s.name)
  const twice = names.filter((n, i) => names.indexOf(n) !== i)
  if (twice.length) throw new Error(`screens: two pictures named ${twice.join(', ')} in screens/fixtures.js`)
  return shots
}

// ---------------------------------------------------------------- rendering (one child process per picture)

/** A DOM for miniprogram-simulate outside jest: jsdom's window, its events and element classes as globals. */
function installDom() {
  const { JSDOM } = require('jsdom')
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', { pretendToBeVisual: true })
  const own = /^(Event|CustomEvent|EventTarget|Node|NodeList|Element|HTML|SVG|Text|Comment|Document|DocumentFragment|Mouse|Keyboard|Touch|UI|Focus|MutationObserver|getComputedStyle)/
  for (const key of Object.getOwnPropertyNames(dom.window)) {
    if (key in global && !own.test(key)) continue
    try { global[key] = dom.window[key] } catch (e) { /* read-only global */ }
  }
  global.window = dom.window
  global.document = dom.window.document
  // tests/helpers.js records calls with jest.fn; here a plain function does
  global.jest = { fn: (impl = () => undefined) => impl }
}

/** Freeze the clock at `iso` (new Date() and Date.now()); timers keep running. */
function freezeClock(iso) {
  const fixed = new Date(iso).getTime()
  const Real = Date
  class Frozen extends Real {
    constructor(...args) { if (args.length) super(...args); else super(fixed) }
    static now() { return fixed }
  }
  global.Date = Frozen
}

/**
 * Native inputs show nothing in the simulator (its built-in components are empty shells), so for
 * the pictures <input> and <textarea> show their value, or their placeholder in grey.
 */
function showNativeInputs(jComponent) {
  for (const name of ['input', 'textarea']) {
    jComponent.register({
      id: name,
      tagName: `wx-${name}`,
      properties: { value: { type: String, value: '' }, placeholder: { type: String, value: '' }, password: Boolean },
      template: '<text class="{{value ? \'\' : \'wx-placeholder\'}}">{{value ? (password ? \'••••••\' : value) : placeholder}}</text>',
    })
  }
}

/**
 * As WeChat does (and jest, through moduleDirectories), a bare require from a library file also looks
 * in the nearest miniprogram_npm/: t-qrcode's locale requires dayjs from tdesign's own miniprogram_npm/.
 */
function resolveLikeWechat() {
  const Module = require('module')
  const nodePaths = Module._nodeModulePaths
  Module._nodeModulePaths = function withMiniprogramNpm(from) {
    return nodePaths.call(this, from).flatMap((dir) => [dir, dir.replace(/node_modules$/, 'miniprogram_npm')])
  }
}

async function renderShot(build, shot, fixtures) {
  installDom()
  resolveLikeWechat()
  if (fixtures.NOW) freezeClock(fixtures.NOW)
  const helpers = require(path.join(ROOT, 'tests', 'helpers.js'))
  const { simulate } = helpers
  // both turn rpx into px one for one (styles of wxss files, and style attributes)
  require('miniprogram-simulate/src/utils').transformRpx = rpxToPx
  require('j-component/src/tool/utils').transformRpx = rpxToPx
  showNativeInputs(require('j-component'))

  const { entry } = shot
  const routes = { ...fixtures.api, ...(entry.routes || {}) }
  const api = helpers.fakeApi(routes)
  const wx = helpers.installWx(api)
  if (entry.hold) wx.request = () => ({ abort() {} }) // never answers: the loading state
  if (entry.signedIn !== false) helpers.signIn(wx)
  for (const [key, value] of Object.entries(entry.storage || {})) wx.storage.set(key, value)

  const id = simulate.load(path.join(build, shot.page), { rootPath: build })
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  if (typeof page.instance.onLoad === 'function') page.instance.onLoad(entry.query || {})
  if (typeof page.instance.onShow === 'function') page.instance.onShow()
  await helpers.settle(10)
  for (const [action, selector, arg] of entry.steps || []) {
    if (action === 'type') await helpers.type(page, selector, arg)
    else if (action === 'tap') await helpers.tap(page, selector, arg || null)
    else throw new Error(`screens: unknown step ${action} for ${shot.name}`)
  }
  await helpers.settle(10)
  const css = [...document.querySelectorAll('head style')].map((s) => s.textContent).join('\n')
  const appCss = rpxToPx(require('miniprogram-simulate/src/wxss').compile(
    fs.readFileSync(path.join(build, 'app.wxss'), 'utf8'), { prefix: 'main' }))
  return { css: webCss(appCss + '\n' + css), body: webHtml(page.dom.outerHTML) }
}

/** 750rpx = 375px: `24rpx` -> `12px`, `0.5rpx` -> `0.25px`, `-8rpx` -> `-4px`. */
function rpxToPx(css) {
  return css.replace(/(-?\d*\.?\d+)rpx/gi, (_, n) => `${+(Number(n) * RPX).toFixed(3)}px`)
}

const NATIVE_TAGS = ['view', 'text', 'image', 'input', 'textarea', 'button', 'picker', 'label', 'scroll-view',
  'swiper', 'swiper-item', 'icon', 'rich-text', 'navigator', 'form', 'switch', 'slider', 'checkbox', 'radio',
  'canvas', 'progress', 'block']

/** WXSS as a browser reads it: `page` is the body, tag selectors name the simulator's wx-* elements. */
function webCss(css) {
  const postcss = require('postcss')
  const tag = new RegExp(`(^|[\\s>+~,(])(${NATIVE_TAGS.join('|')}|page)(?![-\\w])`, 'g')
  const root = postcss.parse(css)
  root.walkRules((rule) => {
    if (rule.parent && rule.parent.type === 'atrule' && /keyframes/i.test(rule.parent.name)) return
    rule.selectors = rule.selectors.map((sel) => sel.replace(tag, (all, before, name) => `${before}${name === 'page' ? 'body' : `wx-${name}`}`))
  })
  // the icon font is fetched from a CDN on a phone; pictures are taken offline (see iconGlyphs)
  root.walkAtRules('font-face', (rule) => rule.remove())
  return root.toString()
}

/** The rendered DOM with rpx in inline styles turned into px too. */
function webHtml(html) {
  return html.replace(/style="([^"]*)"/g, (all, style) => `style="${rpxToPx(style)}"`)
}

// ---------------------------------------------------------------- the HTML page around it

/**
 * The few tdesign icons the pages use, drawn with plain characters: the icon font is not part of
 * the npm package (a phone downloads it), so these stand in for it.
 */
const ICONS = {
  'chevron-right': '›', 'error-circle': '!', 'check-circle-filled': '✓', 'check-circle': '✓', check: '✓',
  'wifi-off': '⚠', 'info-circle': 'i', 'close-circle-filled': '×', close: '×', 'close-circle': '×',
  'chevron-left': '‹', 'chevron-down': '⌄', 'help-circle': '?',
}

function iconGlyphs() {
  const rules = Object.entries(ICONS).map(([name, glyph]) => `.t-icon--t-icon-${name}::before{content:"${glyph}"}`)
  return `${rules.join('\n')}
.t-icon--t-icon-base{width:1em;height:1em;line-height:1em;overflow:hidden;font-family:var(--td-font-family)}
.t-icon--t-icon-check-circle-filled,.t-icon--t-icon-close-circle-filled{border-radius:50%;background:currentColor}
.t-icon--t-icon-check-circle-filled::before,.t-icon--t-icon-close-circle-filled::before{color:#fff;font-size:.7em;font-weight:700}
.t-icon--t-icon-error-circle::before,.t-icon--t-icon-info-circle::before,.t-icon--t-icon-help-circle::before{display:block;box-sizing:border-box;width:1.4em;height:1.4em;margin:.13em;border:.13em solid currentColor;border-radius:50%;font-size:.6em;line-height:1.15em;font-weight:700}`
}

/** What a phone draws around the page and the simulator has no DOM for. */
const BASE_CSS = `
html{-webkit-text-size-adjust:none}
body{margin:0;min-height:${HEIGHT}px;display:flex;flex-direction:column;font-family:var(--td-font-family);font-size:16px;line-height:1.4;-webkit-font-smoothing:antialiased;
  --td-font-family:"PingFang SC","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Zen Hei",sans-serif}
body>main{flex:1}
wx-view,wx-scroll-view,wx-swiper,wx-swiper-item,wx-form,wx-picker,wx-rich-text,wx-navigator,wx-progress,wx-page-meta{display:block}
wx-text,wx-label{display:inline}
wx-image{display:inline-block;overflow:hidden;width:320px;height:240px}
wx-input,wx-textarea{display:block;min-height:1.4em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
wx-input .wx-placeholder,wx-textarea .wx-placeholder{color:#a6a6a6}
wx-button{position:relative;display:block;box-sizing:border-box;margin:0;padding:0 14px;font-size:18px;text-align:center;text-decoration:none;line-height:2.55;border-radius:5px;overflow:hidden;color:#000;background:#f8f8f8}
wx-button::after{content:" ";position:absolute;top:0;left:0;width:200%;height:200%;border:1px solid rgba(0,0,0,.2);transform:scale(.5);transform-origin:0 0;box-sizing:border-box;border-radius:10px}
.shot-navbar{position:relative;flex:none;height:44px;display:flex;align-items:center;justify-content:center;font-size:17px;font-weight:600}
.shot-navbar.black{color:#000}.shot-navbar.white{color:#fff}
.shot-navbar .shot-capsule{position:absolute;right:7px;top:6px;width:87px;height:32px;border-radius:16px;border:1px solid rgba(0,0,0,.12);box-sizing:border-box;background:rgba(255,255,255,.6)}
.shot-navbar .shot-capsule::before{content:"•••";position:absolute;left:12px;top:6px;font-size:12px;letter-spacing:1px}
.shot-navbar .shot-capsule::after{content:"";position:absolute;right:12px;top:8px;width:14px;height:14px;border:2px solid #000;border-radius:50%;box-sizing:border-box}
.shot-tabbar{flex:none;height:50px;display:flex;border-top:1px solid rgba(0,0,0,.12)}
.shot-tabbar .shot-tab{flex:1;display:flex;align-items:center;justify-content:center;font-size:12px}
.shot-tabbar .shot-tab.on{font-weight:600}
`

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]))
}

/** The whole picture: the navigation bar, the page, the tab bar on the tab pages. */
function pageHtml(app, build, shot, rendered) {
  const json = JSON.parse(fs.readFileSync(path.join(build, `${shot.page}.json`), 'utf8'))
  const win = { ...(app.window || {}), ...json }
  const tabs = (app.tabBar && app.tabBar.list) || []
  const isTab = tabs.some((t) => t.pagePath === shot.page)
  const bar = win.navigationStyle === 'custom' ? '' : `<div class="shot-navbar ${win.navigationBarTextStyle === 'white' ? 'white' : 'black'}" `
    + `style="background:${escape(win.navigationBarBackgroundColor || '#fff')}">`
    + `${escape(win.navigationBarTitleText || '')}<span class="shot-capsule"></span></div>`
  const tb = app.tabBar || {}
  const tabBar = isTab ? `<div class="shot-tabbar" style="background:${escape(tb.backgroundColor || '#fff')}">${tabs.map((t) => `<div class="shot-tab${t.pagePath === shot.page ? ' on' : ''}" `
    + `style="color:${escape(t.pagePath === shot.page ? tb.selectedColor || '#000' : tb.color || '#7a7e83')}">${escape(t.text)}</div>`).join('')}</div>` : ''
  const background = win.backgroundColor ? `background-color:${escape(win.backgroundColor)};` : ''
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=${WIDTH}">
<title>${escape(shot.name)}</title>
<style>${BASE_CSS}</style>
<style>${rendered.css}</style>
<style>${iconGlyphs()}</style>
</head><body style="${background}">
${bar}
${rendered.body}
${tabBar}
</body></html>
`
}

// ---------------------------------------------------------------- photographs

const SHOOT_PY = `
import json, shutil, sys
from playwright.sync_api import sync_playwright
jobs, width, height, chromium = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--font-render-hinting=none"]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium or None, args=args, headless=True)
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                  locale="zh-CN", offline=True)
    page = context.new_page()
    for html, png in jobs:
        page.goto("file://" + html)
        page.wait_for_load_state("load")
        page.screenshot(path=png, full_page=True, animations="disabled")
    browser.close()
`

function python() {
  if (process.env.PYTHON) return process.env.PYTHON
  const venv = path.join(REPO, '.venv', 'bin', 'python')
  return fs.existsSync(venv) ? venv : 'python3'
}

function chromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM
  for (const name of ['chromium', 'chromium-browser']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim()
  }
  return ''
}

function shoot(jobs) {
  const py = python()
  const done = spawnSync(py, ['-c', SHOOT_PY, JSON.stringify(jobs), String(WIDTH), String(HEIGHT), chromium()], { encoding: 'utf8' })
  if (done.error || done.status !== 0) {
    throw new Error(`screens: taking the pictures with ${py} failed (it needs the playwright package: `
      + `set PYTHON to an interpreter that has it)\n${done.error || ''}${done.stdout || ''}${done.stderr || ''}`)
  }
}

// ---------------------------------------------------------------- main

function main(argv) {
  const htmlOnly = argv.includes('--html')
  const rest = argv.filter((a) => !a.startsWith('--'))
  const out = path.resolve(rest[0] || path.join(REPO, 'docs', 'miniprogram', 'screens'))
  const fixtures = require(path.join(ROOT, 'screens', 'fixtures.js'))
  const { app, pages } = appPages()
  const shots = plan(pages, fixtures)

  // inside node_modules: the compiled components find tslib there, and git ignores it
  fs.mkdirSync(path.join(ROOT, 'node_modules'), { recursive: true })
  const work = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.screens-'))
  try {
    const build = path.join(work, 'build')
    require('./build').build(build)
    const htmlDir = htmlOnly ? out : path.join(work, 'html')
    fs.mkdirSync(htmlDir, { recursive: true })
    fs.mkdirSync(out, { recursive: true })
    const jobs = []
    for (const shot of shots) {
      const file = path.join(htmlDir, `${shot.name}.html`)
      // a process per picture: the simulator runs a component's code once per process
      execFileSync(process.execPath, [__filename, '--render-one', build, shot.page, shot.name, file], {
        stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, TZ: process.env.SCREENS_TZ || 'Asia/Shanghai' },
      })
      jobs.push([file, path.join(out, `${shot.name}.png`)])
    }
    if (!htmlOnly) shoot(jobs)
    for (const [, png] of jobs) console.log(path.relative(process.cwd(), htmlOnly ? png.replace(/\.png$/, '.html') : png))
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

async function renderOne([build, page, name, file]) {
  const fixtures = require(path.join(ROOT, 'screens', 'fixtures.js'))
  const { app } = appPages(path.join(build, 'app.json'))
  const shot = plan([page], { ...fixtures, pages: { [page]: fixtures.pages[page] } }).find((s) => s.name === name)
  const rendered = await renderShot(build, shot, fixtures)
  fs.writeFileSync(file, pageHtml(app, build, shot, rendered))
}

module.exports = { appPages, plan, shotName, rpxToPx, webCss }

if (require.main === module) {
  const argv = process.argv.slice(2)
  if (argv[0] === '--render-one') {
    renderOne(argv.slice(1)).then(() => process.exit(0), (e) => { console.error(e.stack || e); process.exit(1) })
  } else {
    try { main(argv) } catch (e) { console.error(e.message); process.exit(1) }
  }
}
