/**
 * Test harness: a fake `wx` per test (storage in memory, navigation recorded, wx.request answered
 * by a fake API), and pages loaded from build/ with miniprogram-simulate.
 */
const fs = require('fs')
const path = require('path')
const simulate = require('miniprogram-simulate')

const BUILD = path.resolve(__dirname, '..', 'build')

/**
 * A fake API: `routes` maps 'METHOD /path' to a reply `{status, body}` or a function of the
 * request returning one. Unknown routes answer 404. Every request is recorded in `calls`.
 */
function fakeApi(routes = {}) {
  const calls = []
  const api = {
    calls,
    routes,
    on(key, reply) { routes[key] = reply; return api },
    called(key) { return calls.filter((c) => `${c.method} ${c.path}` === key) },
    handle(options) {
      const url = new URL(options.url)
      const call = { method: options.method || 'GET', path: url.pathname, data: options.data, header: options.header || {} }
      calls.push(call)
      const route = routes[`${call.method} ${call.path}`]
      let reply = typeof route === 'function' ? route(call) : route
      if (!reply) reply = { status: 404, body: { code: 'not_found', message: 'not found', field: null } }
      return reply
    },
  }
  return api
}

/** Install a fresh global `wx` whose request goes to `api`; returns it for assertions. */
function installWx(api, extra = {}) {
  const storage = new Map()
  const wx = {
    storage,
    request: jest.fn((options) => {
      const reply = api.handle(options)
      setTimeout(() => {
        if (reply.fail) options.fail && options.fail({ errMsg: reply.fail })
        else options.success && options.success({ statusCode: reply.status, data: reply.body, header: {} })
        options.complete && options.complete({})
      }, 0)
      return { abort() {} }
    }),
    getStorageSync: jest.fn((key) => (storage.has(key) ? storage.get(key) : '')),
    setStorageSync: jest.fn((key, value) => storage.set(key, JSON.parse(JSON.stringify(value)))),
    removeStorageSync: jest.fn((key) => storage.delete(key)),
    login: jest.fn((options) => setTimeout(() => options.success({ code: 'wx-test', errMsg: 'login:ok' }), 0)),
    switchTab: jest.fn(),
    redirectTo: jest.fn(),
    reLaunch: jest.fn(),
    navigateTo: jest.fn(),
    navigateBack: jest.fn(),
    showToast: jest.fn(),
    hideToast: jest.fn(),
    stopPullDownRefresh: jest.fn(),
    nextTick: (fn) => setTimeout(fn, 0),
    getSystemInfoSync: () => systemInfo,
    getWindowInfo: () => systemInfo,
    getDeviceInfo: () => systemInfo,
    getAppBaseInfo: () => systemInfo,
    getSystemSetting: () => ({}),
    getAccountInfoSync: () => ({ miniProgram: { appId: 'touristappid', envVersion: 'develop' } }),
    canIUse: () => true,
    ...extra,
  }
  global.wx = wx
  global.getCurrentPages = () => []
  global.getApp = () => ({ globalData: {} })
  return wx
}

const systemInfo = {
  SDKVersion: '3.6.0', platform: 'devtools', windowWidth: 375, windowHeight: 667, screenWidth: 375,
  screenHeight: 667, pixelRatio: 2, statusBarHeight: 20, safeArea: { top: 20, bottom: 667, height: 647 },
}

/** Kept tokens as the API gives them, so a page starts signed in. */
function signIn(wx, { registered = true } = {}) {
  wx.storage.set('revisit.session', {
    access_token: 'access-1', refresh_token: 'refresh-1', expires_at: Date.now() + 3600000,
    patient_id: registered ? 'p1' : null, registered,
  })
}

// A page's definition is registered once per test file: jest keeps modules in its own registry,
// so miniprogram-simulate cannot run the same file a second time; each render is a new instance.
// For the same reason keep ONE page per test file: a second page's load would find the library
// components it shares with the first already required, and render them empty.
const loaded = {}

/** Render build/pages/<name>/index, attached to the document; `onLoad(query)` is not called. */
function renderPage(name) {
  const id = loaded[name] || (loaded[name] = simulate.load(path.join(BUILD, 'pages', name, 'index'), { rootPath: BUILD }))
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  return page
}

/** Render a page by its path under build/ (a subpackage page: 'packages/challenge/detail/index'). */
function renderAt(pagePath) {
  // 'packages/me/profile' names the folder, 'packages/me/profile/index' the page itself
  if (!fs.existsSync(path.join(BUILD, `${pagePath}.json`))) pagePath = `${pagePath}/index`
  const id = loaded[pagePath] || (loaded[pagePath] = simulate.load(path.join(BUILD, pagePath), { rootPath: BUILD }))
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  return page
}

/** A date `days` from today on the phone, as "YYYY-MM-DD" (the days a streak is made of). */
function dayFromToday(days) {
  const d = new Date()
  d.setDate(d.getDate() + days)
  const pad = (n) => (n < 10 ? `0${n}` : `${n}`)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

/**
 * A fake wx.requestSubscribeMessage answering `answers` (template id -> 'accept' | 'reject'),
 * or failing with `fail` (e.g. the patient closed the dialog); calls are recorded by jest.
 */
function fakeSubscribe(answers = {}, fail = null) {
  return jest.fn((options) => setTimeout(() => {
    if (fail) options.fail && options.fail({ errMsg: fail })
    else options.success && options.success({ errMsg: 'requestSubscribeMessage:ok', ...answers })
  }, 0))
}

/** Render build/packages/<root>/<name>/index (a subpackage's page). */
function renderPackagePage(root, name) {
  return renderAt(`packages/${root}/${name}/index`)
}

/** Let the fake requests answer and the page re-render. */
async function settle(times = 5) {
  for (let i = 0; i < times; i += 1) await simulate.sleep(0)
}

/** The page's visible text, spaces collapsed. */
function text(page) {
  return page.dom.textContent.replace(/\s+/g, ' ').trim()
}

/**
 * Tap what `selector` finds. tdesign components are virtual hosts (no element of their own), so
 * their tap goes to their root element inside (`.t-button`, `.t-cell` ...), where a phone's tap
 * lands; a disabled or loading t-button then passes nothing on, as on a phone.
 */
async function tap(page, selector, inner = null) {
  const found = page.querySelector(selector)
  if (!found) throw new Error(`nothing matches ${selector}`)
  let target = found
  if (!found.dom) {
    const roots = inner ? [inner] : ['.t-button', '.t-cell', '.t-checkbox', '.t-radio', '.t-tag']
    target = roots.map((root) => found.querySelector(root)).find((el) => el && el.dom)
    if (!target) throw new Error(`${selector} has no element to tap`)
  }
  target.dispatchEvent('tap')
  await settle()
}

/** Type into the t-input that `selector` finds, as a keyboard would (its inner <input> fires input). */
async function type(page, selector, value) {
  const found = page.querySelector(selector)
  if (!found) throw new Error(`nothing matches ${selector}`)
  const input = found.querySelector('.t-input__control')
  if (!input) throw new Error(`${selector} has no input`)
  input.dispatchEvent('input', { detail: { value, cursor: value.length, keyCode: 0 } })
  await settle()
}

const ok = (body, status = 200) => ({ status, body })
const fail = (code, status = 400, field = null) => ({ status, body: { code, message: code, field } })

module.exports = { BUILD, fakeApi, installWx, signIn, renderPage, settle, text, tap, type, ok, fail, simulate,
  renderAt, dayFromToday, renderPackagePage, fakeSubscribe }

// GET /me/setup replies (tests/setup-replies.js: plain data, shared with the page pictures' fixtures)
Object.assign(module.exports, require('./setup-replies'))
