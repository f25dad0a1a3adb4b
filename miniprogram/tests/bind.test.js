// 扫码绑定 (packages/bind): a patient the desk registered links this WeChat to that record with the
// one-time code of the desk's QR code, opened from the code's path or scanned on the page.
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const CODE = 'demo-dental.Ab3dEf6hIj9kLm2nOp5q'
const visitor = { access_token: 'v', refresh_token: 'r'.repeat(12), expires_in: 3600, patient_id: null, registered: false }
const bound = {
  patient: { patient_id: 'p9', name: '王建国', phone: '13800002001', nickname: null, conditions: [] },
  access_token: 'patient-token', refresh_token: 'p'.repeat(12), expires_in: 3600, patient_id: 'p9', registered: true,
}

function scanning(answer) {
  return jest.fn((options) => setTimeout(() => (answer ? options.success(answer) : options.fail({ errMsg: 'scanCode:fail cancel' })), 0))
}

test('opened from the QR code: the patient confirms, the code is sent once and the patient tokens are kept', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(visitor), 'POST /me/bind': ok(bound) })
  const wx = installWx(api)
  const page = renderAt('packages/bind/index')
  expect(text(page)).toContain('请稍候')
  page.instance.onLoad({ code: encodeURIComponent(CODE) })
  await settle()
  expect(text(page)).toContain('诊所前台已经为您建好了档案')
  expect(api.called('POST /me/bind')).toHaveLength(0) // nothing is linked before the patient confirms
  await tap(page, '.confirm-bind')
  const sent = api.called('POST /me/bind')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ code: CODE })
  expect(sent[0].header.Authorization).toBe('Bearer v')
  expect(text(page)).toContain('绑定成功！王建国，您好')
  expect(wx.storage.get('revisit.session').access_token).toBe('patient-token')
  expect(wx.storage.get('revisit.session').registered).toBe(true)
  await tap(page, '.home')
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('scanning on the page reads the code from the QR text; a cancelled scan says nothing', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(visitor), 'POST /me/bind': ok(bound) })
  const wx = installWx(api, { scanCode: scanning(null) })
  const page = renderAt('packages/bind/index')
  page.instance.onLoad({})
  await settle()
  expect(text(page)).toContain('扫一扫')
  await tap(page, '.scan-button')
  expect(wx.scanCode).toHaveBeenCalledTimes(1)
  expect(wx.scanCode.mock.calls[0][0].scanType).toEqual(['qrCode'])
  expect(text(page)).not.toContain('不是绑定用的二维码')
  wx.scanCode = scanning({ result: `packages/bind/index?code=${CODE}`, scanType: 'QR_CODE' })
  await tap(page, '.scan-button')
  await settle()
  expect(text(page)).toContain('确认绑定')
  await tap(page, '.confirm-bind')
  expect(api.called('POST /me/bind')[0].data).toEqual({ code: CODE })
  expect(text(page)).toContain('绑定成功')
})

test('a QR code that is not a bind code is refused on the phone, without a request', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(visitor) })
  installWx(api, { scanCode: scanning({ result: 'https://example.com/some/page', scanType: 'QR_CODE' }) })
  const page = renderAt('packages/bind/index')
  page.instance.onLoad({})
  await settle()
  await tap(page, '.scan-button')
  await settle()
  expect(text(page)).toContain('这不是绑定用的二维码')
  expect(api.called('POST /me/bind')).toHaveLength(0)
})

test.each([
  ['bind_code_used', 409, '这个二维码已经用过了'],
  ['bind_code_expired', 410, '已过期（10 分钟内有效）'],
  ['bind_code_other_clinic', 403, '另一家医院或诊所的二维码'],
  ['bind_code_unknown', 404, '没有认出这个二维码'],
])('a refused code (%s) says why in Chinese and offers the scan again', async (code, status, words) => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(visitor), 'POST /me/bind': fail(code, status, 'code') })
  const wx = installWx(api)
  const page = renderAt('packages/bind/index')
  page.instance.onLoad({ code: CODE })
  await settle()
  await tap(page, '.confirm-bind')
  expect(text(page)).toContain(words)
  expect(text(page)).toContain('扫一扫')
  expect(text(page)).not.toContain(code) // never the raw code
  expect(wx.storage.get('revisit.session').access_token).toBe('v')
})

test('a record already linked keeps the confirm screen with the reason', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': ok(visitor), 'POST /me/bind': fail('patient_already_linked', 409) })
  installWx(api)
  const page = renderAt('packages/bind/index')
  page.instance.onLoad({ code: CODE })
  await settle()
  await tap(page, '.confirm-bind')
  expect(text(page)).toContain('这份档案已经绑定过微信了')
})

test('a WeChat that already has a record is told so and goes home, nothing sent', async () => {
  const api = fakeApi({})
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/bind/index')
  page.instance.onLoad({ code: CODE })
  await settle()
  expect(text(page)).toContain('您的微信已经有档案了')
  expect(api.called('POST /me/bind')).toHaveLength(0)
  await tap(page, '.home')
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('a malformed code in the path is refused before anything is sent', async () => {
  const api = fakeApi({})
  installWx(api)
  const page = renderAt('packages/bind/index')
  page.instance.onLoad({ code: 'not-a-code<script>' })
  await settle()
  expect(text(page)).toContain('这不是绑定用的二维码')
  expect(api.calls).toHaveLength(0)
})

test('a failed sign-in shows the reason and the confirm stays', async () => {
  const api = fakeApi({ 'POST /auth/wechat/login': fail('wechat_unavailable', 502) })
  installWx(api)
  const page = renderAt('packages/bind/index')
  page.instance.onLoad({ code: CODE })
  await settle()
  expect(text(page)).toContain('微信服务暂时不可用')
})
