const { fakeApi, installWx, renderPage, settle, text, tap, ok, fail, signIn } = require('./helpers')

const tokens = (registered) => ({ access_token: 'a', refresh_token: 'r'.repeat(12), expires_in: 3600,
  patient_id: registered ? 'p1' : null, registered })

test('a registered patient goes to the home tab after the WeChat login', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(tokens(true)) })
  const wx = installWx(api)
  const page = renderPage('launch')
  expect(text(page)).toContain('正在登录')
  page.instance.onLoad()
  await settle()
  expect(api.called('POST /auth/wechat/login')[0].data).toEqual({ clinic_id: 'demo-dental', code: 'wx-test' })
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/home/index' })
  expect(wx.storage.get('revisit.session').access_token).toBe('a')
})

test('a visitor is sent to 建档', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(tokens(false)) })
  const wx = installWx(api)
  const page = renderPage('launch')
  page.instance.onLoad()
  await settle()
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/register/index' })
  expect(wx.switchTab).not.toHaveBeenCalled()
})

test('a kept patient session skips the login', async () => {
  const api = fakeApi({})
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('launch')
  page.instance.onLoad()
  await settle()
  expect(api.calls).toHaveLength(0)
  expect(wx.switchTab).toHaveBeenCalled()
})

test('a failed login shows the reason in Chinese and retries on tap', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': fail('clinic_not_found', 404) })
  const wx = installWx(api)
  const page = renderPage('launch')
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('没有找到这家诊所')
  api.on('POST /auth/wechat/login', ok(tokens(true)))
  await tap(page, '.retry')
  expect(wx.switchTab).toHaveBeenCalled()
})

test('an invite code in the launch query is kept for 建档', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(tokens(false)) })
  const wx = installWx(api)
  const page = renderPage('launch')
  page.instance.onLoad({ invite: 'AB12CD' })
  await settle()
  expect(wx.storage.get('revisit.invite')).toBe('AB12CD')
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/register/index' })
})

test('a malformed invite code is not kept', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(tokens(false)) })
  const wx = installWx(api)
  const page = renderPage('launch')
  page.instance.onLoad({ invite: 'a b<script>' })
  await settle()
  expect(wx.storage.has('revisit.invite')).toBe(false)
})

test('a registered patient opening a share goes home and the invite is dropped', async () => {
  const api = fakeApi({})
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('launch')
  page.instance.onLoad({ invite: 'AB12CD' })
  await settle()
  expect(wx.storage.has('revisit.invite')).toBe(false)
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('an invite in the app launch options is kept whichever page WeChat opens first', () => {
  const wx = installWx(fakeApi({}))
  let app = null
  global.App = (definition) => { app = definition }
  jest.isolateModules(() => { require('../build/app') })
  app.onLaunch({ path: 'pages/home/index', query: { invite: 'QR2026' }, scene: 1047 })
  expect(wx.storage.get('revisit.invite')).toBe('QR2026')
  app.onLaunch({ path: 'pages/home/index', query: {}, scene: 1001 })
  expect(wx.storage.get('revisit.invite')).toBe('QR2026')
  delete global.App
})
