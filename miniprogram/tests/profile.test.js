// 编辑资料 (packages/me/profile).
const { fakeApi, installWx, renderAt, settle, text, tap, type, ok, fail, signIn } = require('./helpers')

const patient = (over = {}) => ({ patient_id: 'p1', name: '王芳', phone: '13800001234', birth_year: 1962, sex: null,
  district: '朝阳区', conditions: [], department: null, persona_tags: [], balance: 0, earned_total: 0,
  created_at: '2026-01-01T00:00:00Z', last_visit_date: null, revisit_due_date: null, nickname: '芳姐',
  phone_verified: true, next_booking_date: null, ...over })

async function open(routes) {
  const api = fakeApi({ 'GET /me': ok({ patient: patient() }), ...routes })
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/me/profile')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

// the value the t-input holds (the simulator's <input> does not reflect it in the DOM)
const inputValue = (page, selector) => page.querySelector(selector).data.value

test('the form starts with the record, and says name and phone change at the desk', async () => {
  const { page } = await open()
  expect(inputValue(page, '.nickname')).toBe('芳姐')
  expect(inputValue(page, '.birth-year')).toBe('1962')
  expect(inputValue(page, '.district')).toBe('朝阳区')
  expect(text(page)).toContain('姓名和手机号如需修改，请联系诊所前台')
})

test('saving sends PUT /me with the three fields, empty ones cleared, then goes back', async () => {
  const { api, wx, page } = await open({ 'PUT /me': ok({ patient: patient() }) })
  await type(page, '.nickname', ' 小芳 ')
  await type(page, '.birth-year', '1960')
  await type(page, '.district', '')
  await tap(page, '.save')
  const sent = api.called('PUT /me')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ nickname: '小芳', birth_year: 1960, district: null })
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已保存', icon: 'success' })
  expect(wx.navigateBack).toHaveBeenCalled()
})

test('a wrong birth year is refused before sending; a nickname stops at 20 characters', async () => {
  const { api, page } = await open({ 'PUT /me': ok({ patient: patient() }) })
  await type(page, '.birth-year', '196')
  await tap(page, '.save')
  expect(api.called('PUT /me')).toHaveLength(0)
  expect(text(page)).toContain(`请填写 1900 到 ${new Date().getFullYear()} 之间的四位年份`)
  await type(page, '.birth-year', '2999')
  await tap(page, '.save')
  expect(api.called('PUT /me')).toHaveLength(0)
  await type(page, '.birth-year', '1960')
  expect(text(page)).not.toContain('四位年份')
  await type(page, '.nickname', '一二三四五六七八九十一二三四五六七八九十多')
  await tap(page, '.save')
  const sent = api.called('PUT /me')
  expect(sent).toHaveLength(1)
  expect(sent[0].data.nickname).toBe('一二三四五六七八九十一二三四五六七八九十')
})

test('an API error on a field is shown at that field; another error under the form', async () => {
  let answer = fail('invalid_input', 400, 'district')
  const { page } = await open({ 'PUT /me': () => answer })
  await tap(page, '.save')
  expect(text(page)).toContain('填写的内容有误')
  expect(page.instance.data.errors.district).toBe('填写的内容有误，请检查后再提交')
  expect(page.querySelector('.save-error')).toBeFalsy()
  answer = fail('try_again', 409)
  await tap(page, '.save')
  expect(page.querySelector('.save-error').dom.textContent).toContain('人有点多，请再试一次')
})

test('a failed load offers a retry', async () => {
  const { api, page } = await open({ 'GET /me': { fail: 'request:fail' } })
  expect(text(page)).toContain('网络不太顺畅')
  api.on('GET /me', ok({ patient: patient() }))
  await tap(page, '.retry')
  expect(inputValue(page, '.nickname')).toBe('芳姐')
})
