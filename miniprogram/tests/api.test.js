// The API module on its own: refresh sharing, error shapes, idempotency keys, the session.
const { fakeApi, installWx, settle, ok, fail, signIn } = require('./helpers')
const api = require('../build/api/index')

test('concurrent requests with an expired token share one refresh', async () => {
  let token = 'access-1'
  const fake = fakeApi({
    'GET /me/inbox': (call) => (call.header.Authorization === `Bearer ${token}` && token === 'access-2'
      ? ok({ items: [], unread: 0 }) : fail('token_expired', 401)),
    'POST /auth/refresh': () => { token = 'access-2'; return ok({ access_token: 'access-2', refresh_token: 'refresh-2',
      expires_in: 60, patient_id: 'p1', registered: true }) },
  })
  const wx = installWx(fake)
  signIn(wx)
  const replies = await Promise.all([api.getInbox(), api.getInbox(), api.getInbox()])
  expect(replies.map((r) => r.unread)).toEqual([0, 0, 0])
  expect(fake.called('POST /auth/refresh')).toHaveLength(1)
  expect(wx.storage.get('revisit.session').refresh_token).toBe('refresh-2')
})

test('other 401s are not refreshed and come back as Chinese errors', async () => {
  const fake = fakeApi({ 'GET /me': fail('session_revoked', 401) })
  const wx = installWx(fake)
  signIn(wx)
  await expect(api.getMe()).rejects.toEqual({ code: 'session_revoked', message: '登录已失效，请重新进入小程序', field: null, status: 401 })
  expect(fake.called('POST /auth/refresh')).toHaveLength(0)
})

test('an unknown code gets a general message; a 5xx without a body says the service is down', async () => {
  const fake = fakeApi({ 'GET /me': fail('something_new', 409, 'x'), 'GET /me/inbox': { status: 502, body: '' } })
  installWx(fake)
  signIn(global.wx)
  await expect(api.getMe()).rejects.toMatchObject({ code: 'something_new', message: '出了点问题，请稍后再试', field: 'x' })
  await expect(api.getInbox()).rejects.toMatchObject({ code: 'server', message: '服务暂时不可用，请稍后再试' })
})

test('without a session a request is not sent', async () => {
  const fake = fakeApi({})
  installWx(fake)
  await expect(api.getMe()).rejects.toMatchObject({ code: 'not_logged_in', status: 401 })
  expect(fake.calls).toHaveLength(0)
})

test('path parameters are filled and encoded', async () => {
  const fake = fakeApi({ 'POST /me/inbox/m%2F1/read': ok({ message: {} }) })
  const wx = installWx(fake)
  signIn(wx)
  await api.markRead('m/1')
  expect(fake.calls[0].path).toBe('/me/inbox/m%2F1/read')
})

test('idempotency keys are new per action and fit the API limit', () => {
  const a = api.newIdempotencyKey('checkin')
  const b = api.newIdempotencyKey('checkin')
  expect(a).not.toBe(b)
  expect(a.length).toBeLessThanOrEqual(100)
  expect(api.idempotencyHeader(a)).toEqual({ 'Idempotency-Key': a })
})

test('a failed wx.login is an error with a Chinese message, and no request is sent', async () => {
  const fake = fakeApi({})
  installWx(fake, { login: (options) => setTimeout(() => options.fail({ errMsg: 'login:fail' }), 0) })
  await expect(api.login()).rejects.toMatchObject({ code: 'wx_login_failed', message: '微信登录没有成功，请稍后再试' })
  await settle()
  expect(fake.calls).toHaveLength(0)
})
