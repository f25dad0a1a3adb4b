// 加入家庭 (packages/family/join): opened from an invite, what joining shares, the consent tick, join, refusals.
const { fakeApi, installWx, renderAt, settle, text, tap, type, ok, fail, signIn } = require('./helpers')

const CODE = 'AB12CD34'
const patientLogin = { access_token: 'a2', refresh_token: 'r'.repeat(12), expires_in: 3600, patient_id: 'p2', registered: true }
const visitorLogin = { access_token: 'v', refresh_token: 'r'.repeat(12), expires_in: 3600, patient_id: null, registered: false }
const joined = {
  family_id: 'fam-1',
  members: [
    { member_id: 'p1', name: '王*', relation: 'child', minor: false, me: false, i_care_for: false, cares_for_me: false,
      may_checkin: false, gets_reminders: false },
    { member_id: 'p2', name: '张*', relation: 'self', minor: false, me: true, i_care_for: false, cares_for_me: false,
      may_checkin: false, gets_reminders: false },
  ],
}

function scanning(answer) {
  return jest.fn((options) => setTimeout(() => (answer ? options.success(answer) : options.fail({ errMsg: 'scanCode:fail cancel' })), 0))
}

async function open(routes, query = { code: CODE }, { signedIn = true, extra = {} } = {}) {
  const api = fakeApi(routes)
  const wx = installWx(api, extra)
  if (signedIn) signIn(wx)
  const page = renderAt('packages/family/join')
  page.instance.onLoad(query)
  await settle()
  return { api, wx, page }
}

test('opened from an invite: says in plain words what joining shares; nothing is sent before the tick and the tap', async () => {
  const { page, api } = await open({ 'POST /me/family/join': ok(joined) })
  const shown = text(page)
  expect(shown).toContain('家人邀请您加入家庭')
  expect(shown).toContain('只显示姓')
  expect(shown).toContain('您的打卡读数和病历，家人看不到')
  expect(shown).toContain('由您自己决定')
  expect(shown).toContain('您可以随时退出家庭')
  expect(api.called('POST /me/family/join')).toHaveLength(0)
})

test('joining needs the consent ticked; then one POST with the code and consent, and the household is shown', async () => {
  const { page, api, wx } = await open({ 'POST /me/family/join': ok(joined) })
  await tap(page, '.join')
  expect(text(page)).toContain('请先阅读上面的说明，勾选同意后再加入')
  expect(api.called('POST /me/family/join')).toHaveLength(0)
  await tap(page, '.agree')
  await tap(page, '.join')
  const sent = api.called('POST /me/family/join')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ code: CODE, consent: true })
  const shown = text(page)
  expect(shown).toContain('已加入家庭')
  expect(shown).toContain('张*（我）')
  expect(shown).toContain('王* · 子女')
  await tap(page, '.to-family')
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/packages/family/index' })
})

test('unticking again stops the join', async () => {
  const { page, api } = await open({ 'POST /me/family/join': ok(joined) })
  await tap(page, '.agree')
  await tap(page, '.agree')
  await tap(page, '.join')
  expect(api.called('POST /me/family/join')).toHaveLength(0)
})

test.each([
  ['invalid_code', 404, '这个家庭邀请不对或已经用过了', '重新邀请您'],
  ['code_expired', 410, '这个家庭邀请已过期', '重新邀请您'],
])('%s: said in Chinese and the patient is asked for another code', async (code, status, message, next) => {
  const { page, wx } = await open({ 'POST /me/family/join': fail(code, status) }, { code: CODE }, {})
  wx.storage.set('revisit.familyCode', CODE)
  await tap(page, '.agree')
  await tap(page, '.join')
  const shown = text(page)
  expect(shown).toContain(message)
  expect(shown).toContain(next)
  expect(shown).not.toContain(code)
  expect(page.querySelector('.scan-button')).toBeTruthy()
  expect(wx.storage.has('revisit.familyCode')).toBe(false)
})

test('already in a family: said so, with the way to 我的家庭', async () => {
  const { page, wx } = await open({ 'POST /me/family/join': fail('already_in_family', 409) })
  await tap(page, '.agree')
  await tap(page, '.join')
  expect(text(page)).toContain('您已经在一个家庭里了')
  expect(text(page)).toContain('先在“我的家庭”里退出')
  await tap(page, '.to-family')
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/packages/family/index' })
})

test('one\'s own code is refused in Chinese', async () => {
  const { page } = await open({ 'POST /me/family/join': fail('own_code', 400) })
  await tap(page, '.agree')
  await tap(page, '.join')
  expect(text(page)).toContain('这是您自己发出的邀请，不能自己加入')
  expect(text(page)).toContain('请把邀请发给家人')
})

test.each([
  ['not_an_adult', 403, '未成年人不能邀请家人、加入家庭'],
  ['consent_required', 400, '请先勾选同意'],
])('%s is said in Chinese and the invite stays', async (code, status, message) => {
  const { page } = await open({ 'POST /me/family/join': fail(code, status) })
  await tap(page, '.agree')
  await tap(page, '.join')
  expect(page.querySelector('.join-error').dom.textContent).toContain(message)
  expect(text(page)).not.toContain(code)
  expect(page.querySelector('.join')).toBeTruthy()
})

test('a network failure keeps the page; a second tap sends again', async () => {
  let answer = { fail: 'request:fail' }
  const { page, api } = await open({ 'POST /me/family/join': () => answer })
  await tap(page, '.agree')
  await tap(page, '.join')
  expect(text(page)).toContain('网络不太顺畅')
  answer = ok(joined)
  await tap(page, '.join')
  expect(api.called('POST /me/family/join')).toHaveLength(2)
  expect(text(page)).toContain('已加入家庭')
})

test('opened first by a WeChat user without a record: signs in, keeps the invite and asks to 建档 first', async () => {
  const { page, api, wx } = await open({ 'POST /auth/wechat/login': ok(visitorLogin) }, { code: CODE }, { signedIn: false })
  expect(api.called('POST /auth/wechat/login').length).toBeGreaterThan(0)
  expect(text(page)).toContain('先在诊所建档，再加入家庭')
  expect(wx.storage.get('revisit.familyCode')).toBe(CODE)
  await tap(page, '.to-register')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/register/index' })
  expect(api.called('POST /me/family/join')).toHaveLength(0)
})

test('opened first by a registered patient: signs in and shows the invite', async () => {
  const { page } = await open({ 'POST /auth/wechat/login': ok(patientLogin) }, { code: encodeURIComponent(CODE) }, { signedIn: false })
  expect(text(page)).toContain('家人邀请您加入家庭')
})

test('without a code: scan the QR code (a page path) or type the code; a wrong one is refused on the phone', async () => {
  const { page, wx, api } = await open({ 'POST /me/family/join': ok(joined) }, {},
    { extra: { scanCode: scanning({ result: 'https://example.com/x', scanType: 'QR_CODE' }) } })
  expect(text(page)).toContain('扫一扫')
  await tap(page, '.scan-button')
  expect(wx.scanCode.mock.calls[0][0].scanType).toEqual(['qrCode'])
  expect(text(page)).toContain('这不是家庭邀请的二维码或邀请码')
  wx.scanCode = scanning({ result: `packages/family/join?code=${CODE}`, scanType: 'QR_CODE' })
  await tap(page, '.scan-button')
  await settle()
  expect(text(page)).toContain('家人邀请您加入家庭')
  await tap(page, '.agree')
  await tap(page, '.join')
  expect(api.called('POST /me/family/join')[0].data).toEqual({ code: CODE, consent: true })
})

test('typing the code as it is shown, in groups', async () => {
  const { page, api } = await open({ 'POST /me/family/join': ok(joined) }, {})
  await tap(page, '.use-typed')
  expect(text(page)).toContain('请填写家人给您的邀请码')
  await type(page, '.typed', 'AB/12')
  await tap(page, '.use-typed')
  expect(text(page)).toContain('邀请码不对，请核对后再填')
  await type(page, '.typed', 'ab12 cd34')
  await tap(page, '.use-typed')
  await tap(page, '.agree')
  await tap(page, '.join')
  expect(api.called('POST /me/family/join')[0].data.code).toBe('ab12cd34')
})

test('a malformed code in the link is refused without a request', async () => {
  const { page, api } = await open({}, { code: encodeURIComponent('https://x.y/?a=1') })
  expect(text(page)).toContain('这不是家庭邀请的二维码或邀请码')
  expect(api.calls).toHaveLength(0)
})
