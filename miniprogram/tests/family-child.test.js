// 添加孩子 (packages/family/child): name, birth date, sex checked on the phone; one POST per child.
const { fakeApi, installWx, renderAt, settle, text, tap, type, ok, fail, signIn, dayFromToday } = require('./helpers')

const baby = { member_id: 'p-baby', name: '李*', relation: 'child', minor: true, me: false, i_care_for: true,
  cares_for_me: false, may_checkin: true, gets_reminders: true }

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/family/child')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

/** The native date picker, as a phone answers it. */
async function pickDate(page, day) {
  page.querySelector('.birth-picker').dispatchEvent('change', { detail: { value: day } })
  await settle()
}

async function fill(page, { name = '李小宝', day = dayFromToday(-10), sex = 'F' } = {}) {
  if (name) await type(page, '.name', name)
  if (day) await pickDate(page, day)
  if (sex) await tap(page, `.sex-${sex}`, '.t-radio')
}

test('says what adding a child means; an empty form is refused on the phone', async () => {
  const { page, api } = await open({})
  expect(text(page)).toContain('孩子会在诊所有一份自己的档案，由您照护')
  await tap(page, '.submit')
  const shown = text(page)
  expect(shown).toContain('请填写孩子的姓名')
  expect(shown).toContain('请选择孩子的出生日期')
  expect(shown).toContain('请选择性别')
  expect(api.calls).toHaveLength(0)
})

test('a birth date in the future or in the year 18 years back is refused before sending (minors by birth year, as the API)', async () => {
  const { page, api } = await open({})
  await fill(page, { day: dayFromToday(1) })
  await tap(page, '.submit')
  expect(text(page)).toContain('出生日期不能晚于今天')
  const y = new Date()
  await pickDate(page, `${y.getFullYear() - 18}-12-31`)
  await tap(page, '.submit')
  expect(text(page)).toContain('孩子已满 18 岁')
  expect(api.calls).toHaveLength(0)
  await pickDate(page, `${y.getFullYear() - 17}-01-01`)
  await tap(page, '.submit')
  expect(text(page)).not.toContain('孩子已满 18 岁')
})

test('one POST with the child\'s name, birth date, sex and relation; then the way to their check-ups', async () => {
  const day = dayFromToday(-10)
  const { page, api, wx } = await open({ 'POST /me/family/dependants': ok(baby, 201) })
  await fill(page, { name: ' 李小宝 ', day, sex: 'M' })
  await tap(page, '.submit')
  const sent = api.called('POST /me/family/dependants')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ name: '李小宝', birth_date: day, sex: 'M', relation: 'child' })
  expect(sent[0].header['Idempotency-Key']).toMatch(/^dependant-/)
  expect(text(page)).toContain('已添加孩子')
  expect(text(page)).toContain('李* 已经加入您的家庭')
  await tap(page, '.open-child')
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/packages/family/member?id=p-baby' })
  await tap(page, '.back')
  expect(wx.navigateBack).toHaveBeenCalled()
})

test('a retry after a failure sends the same key; a changed form a new one', async () => {
  let answer = { fail: 'request:fail' }
  const { page, api } = await open({ 'POST /me/family/dependants': () => answer })
  await fill(page)
  await tap(page, '.submit')
  expect(text(page)).toContain('网络不太顺畅')
  await tap(page, '.submit')
  await type(page, '.name', '李小贝')
  await tap(page, '.submit')
  const keys = api.called('POST /me/family/dependants').map((c) => c.header['Idempotency-Key'])
  expect(keys).toHaveLength(3)
  expect(keys[1]).toBe(keys[0])
  expect(keys[2]).not.toBe(keys[0])
})

test('the API\'s refusals read in Chinese at the birth date', async () => {
  const { page } = await open({ 'POST /me/family/dependants': fail('not_a_minor', 400, 'birth_date') })
  await fill(page)
  await tap(page, '.submit')
  expect(page.querySelector('.birth-error').dom.textContent).toContain('孩子已满 18 岁')
  expect(text(page)).not.toContain('not_a_minor')
})

test('without the service consent: says so and leads to 我的授权', async () => {
  const { page, wx } = await open({ 'POST /me/family/dependants': fail('consent_required', 403) })
  await fill(page)
  await tap(page, '.submit')
  expect(page.querySelector('.submit-error').dom.textContent).toContain('需要您先同意“诊疗服务”授权')
  await tap(page, '.to-consents')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/me/consents/index' })
})

test('another refusal is shown under the form', async () => {
  const { page } = await open({ 'POST /me/family/dependants': { status: 503, body: null } })
  await fill(page)
  await tap(page, '.submit')
  expect(page.querySelector('.submit-error').dom.textContent).toContain('服务暂时不可用')
  expect(page.querySelector('.to-consents')).toBeFalsy()
})
