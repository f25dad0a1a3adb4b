const { fakeApi, installWx, renderPage, settle, text, tap, type, ok, fail, signIn, sunnySetupReply: setupReply } = require('./helpers')


const patient = { patient_id: 'p1', name: '王芳', phone: '13800000000', birth_year: 1965, sex: null, district: null,
  conditions: ['diabetes'], department: null, persona_tags: [], balance: 0, earned_total: 0, created_at: '2026-12-06T00:00:00Z',
  last_visit_date: null, revisit_due_date: null, nickname: null, phone_verified: false, next_booking_date: null }
const registered = { patient, access_token: 'patient-access', refresh_token: 'patient-refresh', expires_in: 3600,
  patient_id: 'p1', registered: true }

async function open(routes = {}, { invite = null, query = undefined, wxExtra = {} } = {}) {
  const api = fakeApi({ 'GET /me/setup': ok(setupReply()), ...routes })
  const wx = installWx(api, wxExtra)
  signIn(wx, { registered: false })
  if (invite) wx.storage.set('revisit.invite', invite)
  const page = renderPage('register')
  page.instance.onLoad(query)
  await settle()
  return { api, wx, page }
}

async function fillValid(page, { phone = true } = {}) {
  await type(page, '.name', '王芳')
  if (phone) await type(page, '.phone', '13800000000')
  await type(page, '.birth-year', '1965')
  await tap(page, '.condition-diabetes')
  await tap(page, '.consent-service')
}

/** WeChat answering the getPhoneNumber button. */
async function phoneButton(page, detail) {
  page.querySelector('.get-phone').querySelector('.t-button').dispatchEvent('getphonenumber', { detail })
  await settle()
}

test('shows the clinic, its conditions, a checkbox and text per consent purpose and the version from GET /me/setup', async () => {
  const { api, page } = await open()
  expect(api.called('GET /me/setup')).toHaveLength(1)
  const shown = text(page)
  expect(shown).toContain('欢迎来到阳光口腔')
  expect(shown).toContain('糖尿病')
  expect(shown).toContain('政策版本 v3')
  for (const title of ['诊疗服务（必选）', '健康活动与优惠（可选）', '服务改进（可选）']) expect(shown).toContain(title)
  expect(shown).toContain('向您发送诊所的健康讲座')
  expect(page.querySelectorAll('.consent')).toHaveLength(3)
  expect(page.querySelector('.get-phone')).toBeTruthy()
  expect(shown).toContain('用微信手机号')
})

test('registers with the typed phone, each consent on its own and the setup version, then goes home', async () => {
  const { api, wx, page } = await open({ 'POST /me/register': ok(registered, 201) })
  await fillValid(page)
  await tap(page, '.consent-analytics')
  await tap(page, '.submit')
  const sent = api.called('POST /me/register')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ name: '王芳', phone: '13800000000', birth_year: 1965, conditions: ['diabetes'],
    consents: { service: true, marketing: false, analytics: true }, consent_version: 'v3' })
  expect(sent[0].header.Authorization).toBe('Bearer access-1')
  expect(wx.storage.get('revisit.session')).toMatchObject({ access_token: 'patient-access', registered: true })
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('the getPhoneNumber code is sent as phone_code instead of a typed phone', async () => {
  const { api, page } = await open({ 'POST /me/register': ok(registered, 201) })
  await fillValid(page, { phone: false })
  await phoneButton(page, { code: 'phone-code-1', errMsg: 'getPhoneNumber:ok' })
  expect(text(page)).toContain('已用微信绑定的手机号')
  expect(page.querySelector('.phone')).toBeFalsy()
  await tap(page, '.submit')
  const body = api.called('POST /me/register')[0].data
  expect(body.phone_code).toBe('phone-code-1')
  expect(body).not.toHaveProperty('phone')
})

test('a refused getPhoneNumber leaves the typed phone as the way, kindly', async () => {
  const { api, page } = await open()
  await phoneButton(page, { errMsg: 'getPhoneNumber:fail user deny' })
  expect(text(page)).toContain('没有获取到微信手机号，您可以直接在上面填写手机号')
  expect(page.querySelector('.phone')).toBeTruthy()
  await fillValid(page, { phone: false })
  await tap(page, '.submit')
  expect(api.called('POST /me/register')).toHaveLength(0)
  expect(text(page)).toContain('请填写 11 位手机号')
})

test('an expired phone code asks again at the phone field and brings back the typed phone', async () => {
  const { page } = await open({ 'POST /me/register': fail('invalid_phone_code', 400, 'phone_code') })
  await fillValid(page, { phone: false })
  await phoneButton(page, { code: 'old-code', errMsg: 'getPhoneNumber:ok' })
  await tap(page, '.submit')
  expect(text(page)).toContain('微信手机号验证已过期')
  expect(page.data.form.phoneCode).toBe('')
  expect(page.querySelector('.phone')).toBeTruthy()
})

test("WeChat's privacy popup: agreeing resolves with the agree button, refusing tells the patient to type", async () => {
  let listener = null
  const onNeedPrivacyAuthorization = jest.fn((fn) => { listener = fn })
  const openPrivacyContract = jest.fn()
  const getPrivacySetting = jest.fn((o) => o.success({ needAuthorization: true, privacyContractName: '《阳光口腔小程序隐私保护指引》' }))
  const { page } = await open({}, { wxExtra: { onNeedPrivacyAuthorization, openPrivacyContract, getPrivacySetting } })
  expect(onNeedPrivacyAuthorization).toHaveBeenCalled()
  expect(page.querySelector('.privacy-popup')).toBeFalsy()

  const resolve = jest.fn()
  listener(resolve, { referrer: 'button.getPhoneNumber' }) // the base library asks before getPhoneNumber
  await settle()
  expect(text(page)).toContain('《阳光口腔小程序隐私保护指引》')
  expect(resolve).toHaveBeenCalledWith({ event: 'exposureAuthorization' })
  await tap(page, '.privacy-contract')
  expect(openPrivacyContract).toHaveBeenCalled()
  page.querySelector('.privacy-agree').querySelector('.t-button').dispatchEvent('agreeprivacyauthorization', { detail: {} })
  await settle()
  expect(resolve).toHaveBeenLastCalledWith({ event: 'agree', buttonId: 'agree-btn' })
  expect(page.querySelector('.privacy-popup')).toBeFalsy()

  const again = jest.fn()
  listener(again, { referrer: 'button.getPhoneNumber' })
  await settle()
  await tap(page, '.privacy-disagree')
  expect(again).toHaveBeenLastCalledWith({ event: 'disagree' })
  expect(text(page)).toContain('没关系，您可以直接在上面填写手机号')
})

test('the invite code kept from launch is shown and sent as invite_code, then forgotten', async () => {
  const { api, wx, page } = await open({ 'POST /me/register': ok(registered, 201) }, { invite: 'AB12CD' })
  expect(text(page)).toContain('邀请码 AB12CD')
  await fillValid(page)
  await tap(page, '.submit')
  expect(api.called('POST /me/register')[0].data.invite_code).toBe('AB12CD')
  expect(wx.storage.has('revisit.invite')).toBe(false)
})

test("the API's share path opens 建档 directly with ?invite= and the code is kept", async () => {
  const { api, page } = await open({ 'POST /me/register': ok(registered, 201) }, { query: { clinic: 'demo-dental', invite: 'ZX98' } })
  await fillValid(page)
  await tap(page, '.submit')
  expect(api.called('POST /me/register')[0].data.invite_code).toBe('ZX98')
})

test('an unknown invite code is said at the invite and the patient can go on without it', async () => {
  const { api, wx, page } = await open({ 'POST /me/register': fail('unknown_invite_code', 400, 'invite_code') }, { invite: 'WRONG1' })
  await fillValid(page)
  await tap(page, '.submit')
  expect(text(page)).toContain('邀请码不正确')
  expect(wx.switchTab).not.toHaveBeenCalled()
  await tap(page, '.drop-invite')
  expect(wx.storage.has('revisit.invite')).toBe(false)
  api.on('POST /me/register', ok(registered, 201))
  await tap(page, '.submit')
  expect(api.called('POST /me/register')[1].data).not.toHaveProperty('invite_code')
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('an empty form is not sent and says what is missing', async () => {
  const { api, page } = await open()
  await type(page, '.birth-year', '1800')
  await tap(page, '.submit')
  expect(api.called('POST /me/register')).toHaveLength(0)
  const shown = text(page)
  expect(shown).toContain('请填写姓名')
  expect(shown).toContain('请填写 11 位手机号')
  expect(shown).toContain('请填写四位出生年份')
  expect(shown).toContain('需要同意“诊疗服务”才能建档')
})

test('without the service consent nothing is sent, even when the rest is right', async () => {
  const { api, page } = await open()
  await fillValid(page)
  await tap(page, '.consent-service') // untick it again
  await tap(page, '.submit')
  expect(api.called('POST /me/register')).toHaveLength(0)
  expect(text(page)).toContain('需要同意“诊疗服务”才能建档')
})

test('a phone already registered is shown at the phone field', async () => {
  const { wx, page } = await open({ 'POST /me/register': fail('phone_registered', 409) })
  await fillValid(page)
  await tap(page, '.submit')
  expect(text(page)).toContain('这个手机号已经建过档了')
  expect(wx.switchTab).not.toHaveBeenCalled()
})

test('a network failure is said plainly and the form stays filled', async () => {
  const { page } = await open({ 'POST /me/register': { fail: 'request:fail' } })
  await fillValid(page)
  await tap(page, '.submit')
  expect(text(page)).toContain('网络不太顺畅')
  expect(page.data.form.name).toBe('王芳')
})

test('a failed setup load offers a retry', async () => {
  const { api, page } = await open({ 'GET /me/setup': { status: 500, body: 'oops' } })
  expect(text(page)).toContain('服务暂时不可用')
  api.on('GET /me/setup', ok(setupReply()))
  await tap(page, '.retry')
  expect(text(page)).toContain('欢迎来到阳光口腔')
})

test('the policy link opens the privacy page', async () => {
  const { wx, page } = await open()
  await tap(page, '.privacy-link')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/privacy/index' })
})

test('a patient the desk registered finds 扫码绑定 here and goes to the bind page', async () => {
  const { api, wx, page } = await open()
  expect(text(page)).toContain('已经在诊所前台建过档？点这里扫码绑定')
  await tap(page, '.bind-entry')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/bind/index' })
  expect(api.called('POST /me/register')).toHaveLength(0)
})
