const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const reply = {
  days: [
    { local_date: '2026-12-05', steps: 8000, recorded: true, counted: true, points_awarded: 5 },
    { local_date: '2026-12-06', steps: 4200, recorded: true, counted: true, points_awarded: 5 },
    { local_date: '2026-12-04', steps: 3000, recorded: false, counted: false, points_awarded: 0 },
  ],
  points_awarded: 10,
  balance: 130,
}

/** A fake WeChat with WeRun: `authorized` answers wx.authorize, `order` records the calls. */
function werunWx({ authorized = true, weRunFail = null } = {}) {
  const order = []
  return {
    order,
    extra: {
      authorize: jest.fn((o) => { order.push('authorize'); setTimeout(() => (authorized ? o.success({}) : o.fail({ errMsg: 'authorize:fail auth deny' })), 0) }),
      login: jest.fn((o) => { order.push('login'); setTimeout(() => o.success({ code: `wx-fresh-${order.length}`, errMsg: 'login:ok' }), 0) }),
      getWeRunData: jest.fn((o) => {
        order.push('getWeRunData')
        setTimeout(() => (weRunFail ? o.fail({ errMsg: weRunFail }) : o.success({ encryptedData: 'ZW5j+/=', iv: 'aXY=', errMsg: 'getWeRunData:ok' })), 0)
      }),
      openSetting: jest.fn(),
    },
  }
}

async function open(routes, fake = werunWx()) {
  const api = fakeApi(routes)
  const wx = installWx(api, fake.extra)
  signIn(wx)
  const page = renderAt('packages/invite/steps')
  await settle()
  return { api, wx, page, fake }
}

test('syncs: a fresh login code first, then the WeRun data, sent to POST /me/checkins/werun; shows days and points', async () => {
  const { api, page, fake } = await open({ 'POST /me/checkins/werun': ok(reply, 201) })
  expect(text(page)).toContain('同步微信运动步数')
  await tap(page, '.sync')
  expect(fake.order).toEqual(['authorize', 'login', 'getWeRunData'])
  const sent = api.called('POST /me/checkins/werun')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ code: 'wx-fresh-2', encrypted_data: 'ZW5j+/=', iv: 'aXY=' })
  expect(sent[0].header['Idempotency-Key']).toMatch(/^werun-/)
  const shown = text(page)
  expect(shown).toContain('这次记录了 2 天，获得 10 积分')
  expect(shown).toContain('现有积分 130')
  const days = page.querySelectorAll('.day')
  expect(days).toHaveLength(3)
  expect(text(page).indexOf('12月6日')).toBeLessThan(text(page).indexOf('12月5日')) // newest first
  expect(shown).toContain('8000 步')
  expect(shown).toContain('之前已记录')
})

test('nothing new to record says so kindly', async () => {
  const { page } = await open({ 'POST /me/checkins/werun': ok({ days: [reply.days[2]], points_awarded: 0, balance: 120 }, 201) })
  await tap(page, '.sync')
  expect(text(page)).toContain('步数都已记录过了')
})

test('refusing WeRun sends nothing and explains how to turn it on later', async () => {
  const fake = werunWx({ authorized: false })
  const { api, wx, page } = await open({}, fake)
  await tap(page, '.sync')
  expect(api.calls).toHaveLength(0)
  expect(fake.extra.getWeRunData).not.toHaveBeenCalled()
  expect(text(page)).toContain('没关系，不同步步数也不影响其他功能')
  await tap(page, '.open-setting')
  expect(wx.openSetting).toHaveBeenCalled()
})

test('turning WeRun on in the settings syncs straight away', async () => {
  const fake = werunWx({ authorized: false })
  const { api, page } = await open({ 'POST /me/checkins/werun': ok(reply, 201) }, fake)
  await tap(page, '.sync')
  fake.extra.authorize.mockImplementation((o) => setTimeout(() => o.success({}), 0))
  fake.extra.openSetting.mockImplementation((o) => o.success({ authSetting: { 'scope.werun': true } }))
  await tap(page, '.open-setting')
  await settle()
  expect(api.called('POST /me/checkins/werun')).toHaveLength(1)
  expect(text(page)).not.toContain('没关系')
})

test('getWeRunData refused (privacy or permission) is treated as a kind no', async () => {
  const { api, page } = await open({}, werunWx({ weRunFail: 'getWeRunData:fail auth deny' }))
  await tap(page, '.sync')
  expect(api.calls).toHaveLength(0)
  expect(text(page)).toContain('没关系')
})

test('a used login code is said plainly and a retry sends the same idempotency key with a new code', async () => {
  const { api, page } = await open({ 'POST /me/checkins/werun': fail('wechat_code_used', 401) })
  await tap(page, '.sync')
  expect(text(page)).toContain('微信登录已失效')
  api.on('POST /me/checkins/werun', ok(reply, 201))
  await tap(page, '.sync')
  const sent = api.called('POST /me/checkins/werun')
  expect(sent).toHaveLength(2)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(sent[1].data.code).not.toBe(sent[0].data.code)
  expect(text(page)).toContain('获得 10 积分')
})

test('WeChat being down is said plainly', async () => {
  const { page } = await open({ 'POST /me/checkins/werun': fail('wechat_unavailable', 502) })
  await tap(page, '.sync')
  expect(text(page)).toContain('微信服务暂时不可用')
})
