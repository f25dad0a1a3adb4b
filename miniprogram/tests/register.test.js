const { fakeApi, installWx, renderPage, settle, text, tap, type, ok, fail, signIn, setupReply } = require('./helpers')

const patient = { patient_id: 'p1', name: '王芳', phone: '13800000000', birth_year: 1965, sex: null, district: null,
  conditions: ['diabetes'], department: null, persona_tags: [], balance: 0, earned_total: 0, created_at: '2026-12-06T00:00:00Z',
  last_visit_date: null, revisit_due_date: null }
const registered = { patient, access_token: 'patient-access', refresh_token: 'patient-refresh', expires_in: 3600,
  patient_id: 'p1', registered: true }

async function open(routes = {}) {
  const api = fakeApi({ 'GET /me/setup': ok(setupReply()), ...routes })
  const wx = installWx(api)
  signIn(wx, { registered: false })
  const page = renderPage('register')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

async function fillValid(page) {
  await type(page, '.name', '王芳')
  await type(page, '.phone', '13800000000')
  await type(page, '.birth-year', '1965')
  await tap(page, '.condition-diabetes')
  await tap(page, '.consent-service')
}

test('shows the form with a checkbox and text per consent purpose and the policy version', async () => {
  const { page } = await open()
  const shown = text(page)
  expect(shown).toContain('姓名')
  expect(shown).toContain('糖尿病')
  expect(shown).toContain('政策版本 v1')
  for (const title of ['诊疗服务（必选）', '健康活动与优惠（可选）', '服务改进（可选）']) expect(shown).toContain(title)
  expect(shown).toContain('向您发送诊所的健康讲座')
  expect(page.querySelectorAll('.consent')).toHaveLength(3)
  expect(page.querySelector('.phone-slot')).toBeTruthy()
})

test('registers with each consent sent on its own and goes home with the patient tokens', async () => {
  const { api, wx, page } = await open({ 'POST /me/register': ok(registered, 201) })
  await fillValid(page)
  await tap(page, '.consent-analytics')
  await tap(page, '.submit')
  const sent = api.called('POST /me/register')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ name: '王芳', phone: '13800000000', birth_year: 1965, conditions: ['diabetes'],
    consents: { service: true, marketing: false, analytics: true }, consent_version: 'v1' })
  expect(sent[0].header.Authorization).toBe('Bearer access-1')
  expect(wx.storage.get('revisit.session')).toMatchObject({ access_token: 'patient-access', registered: true })
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

test('the policy link opens the privacy page', async () => {
  const { wx, page } = await open()
  await tap(page, '.privacy-link')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/privacy/index' })
})
