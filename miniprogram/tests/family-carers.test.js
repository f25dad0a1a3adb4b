// 谁可以照护我 (packages/family/carers): two switches per adult member, each saved at once with PUT.
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const member = (id, name, relation, extra = {}) => ({ member_id: id, name, relation, minor: false, me: false,
  i_care_for: false, cares_for_me: false, may_checkin: false, gets_reminders: false, checks_in_for_me: false,
  gets_my_reminders: false, ...extra })

const members = [
  member('p-me', '王*', 'self', { me: true }),
  member('p-daughter', '李*', 'child', { cares_for_me: true, checks_in_for_me: true, gets_my_reminders: true }),
  member('p-son', '李**', 'child'),
  member('p-baby', '李*', 'child', { minor: true, i_care_for: true }),
]

async function open(routes, storage = {}) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  for (const [k, v] of Object.entries(storage)) wx.storage.set(k, v)
  const page = renderAt('packages/family/carers')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

const sw = (page, index, which) => page.querySelector(`.carer-${index} .switch-${which}`)

test('lists each adult other than the patient with the two switches; minors and the patient are not offered', async () => {
  const { page } = await open({ 'GET /me/family': ok({ family_id: 'f', members, card: null }) })
  expect(page.querySelectorAll('.carer')).toHaveLength(2)
  const shown = text(page)
  expect(shown).toContain('可以替我打卡')
  expect(shown).toContain('我的提醒也发给 TA')
  expect(shown).toContain('子女')
  expect(page.querySelector('.carer-0').dom.textContent).toContain('李*')
  // the daughter already cares for the patient; the son does not
  expect(sw(page, 0, 'checkins').data.value).toBe(true)
  expect(sw(page, 0, 'reminders').data.value).toBe(true)
  expect(sw(page, 1, 'checkins').data.value).toBe(false)
  expect(sw(page, 1, 'reminders').data.value).toBe(false)
})

test('a switch saves both choices for that member at once', async () => {
  const after = members.map((m) => (m.member_id === 'p-son' ? { ...m, cares_for_me: true, checks_in_for_me: true } : m))
  const { page, api, wx } = await open({ 'GET /me/family': ok({ family_id: 'f', members, card: null }),
    'PUT /me/family/carers/p-son': ok({ members: after }) })
  await tap(page, '.carer-1 .switch-checkins', '.t-switch')
  const sent = api.called('PUT /me/family/carers/p-son')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ checkins: true, reminders: false })
  expect(sw(page, 1, 'checkins').data.value).toBe(true)
  expect(sw(page, 1, 'reminders').data.value).toBe(false)
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已保存', icon: 'none' })
})

test('each switch shows what the API holds; switching both off ends the care', async () => {
  const only = members.map((m) => (m.member_id === 'p-daughter' ? { ...m, checks_in_for_me: false } : m))
  const after = members.map((m) => (m.member_id === 'p-daughter'
    ? { ...m, cares_for_me: false, checks_in_for_me: false, gets_my_reminders: false } : m))
  const { page, api } = await open({ 'GET /me/family': ok({ family_id: 'f', members: only, card: null }),
    'PUT /me/family/carers/p-daughter': ok({ members: after }) })
  expect(sw(page, 0, 'checkins').data.value).toBe(false) // reminders only, as the API says
  expect(sw(page, 0, 'reminders').data.value).toBe(true)
  await tap(page, '.carer-0 .switch-reminders', '.t-switch')
  expect(api.called('PUT /me/family/carers/p-daughter')[0].data).toEqual({ checkins: false, reminders: false })
  expect(sw(page, 0, 'reminders').data.value).toBe(false)
})

test('an answer that differs from the choice shows what the API holds', async () => {
  const after = members.map((m) => (m.member_id === 'p-son' ? { ...m, cares_for_me: true, gets_my_reminders: true } : m))
  const { page } = await open({ 'GET /me/family': ok({ family_id: 'f', members, card: null }),
    'PUT /me/family/carers/p-son': ok({ members: after }) })
  await tap(page, '.carer-1 .switch-checkins', '.t-switch')
  expect(sw(page, 1, 'checkins').data.value).toBe(false)
  expect(sw(page, 1, 'reminders').data.value).toBe(true)
})

test('a refused switch goes back and says why in Chinese', async () => {
  const { page } = await open({ 'GET /me/family': ok({ family_id: 'f', members, card: null }),
    'PUT /me/family/carers/p-son': fail('not_an_adult', 400) })
  await tap(page, '.carer-1 .switch-reminders', '.t-switch')
  expect(sw(page, 1, 'reminders').data.value).toBe(false)
  expect(page.querySelector('.carer-1 .carer-error').dom.textContent).toContain('未成年人不能邀请家人、加入家庭或设置照护')
  expect(text(page)).not.toContain('not_an_adult')
})

test('a member who left is said so and the list is read again', async () => {
  let family = { family_id: 'f', members, card: null }
  const { page, api } = await open({ 'GET /me/family': () => ok(family),
    'PUT /me/family/carers/p-son': fail('not_a_member', 404) })
  family = { family_id: 'f', members: members.filter((m) => m.member_id !== 'p-son'), card: null }
  await tap(page, '.carer-1 .switch-checkins', '.t-switch')
  expect(api.called('GET /me/family')).toHaveLength(2)
  expect(page.querySelectorAll('.carer')).toHaveLength(1)
})

test('no other adult: says how carers come, with the way back', async () => {
  const { page, wx } = await open({ 'GET /me/family': ok({ family_id: 'f', members: [members[0], members[3]], card: null }) })
  expect(text(page)).toContain('家里还没有其他成年家人')
  await tap(page, '.to-family')
  expect(wx.navigateBack).toHaveBeenCalled()
})

test('a failed load offers a retry', async () => {
  let answer = { status: 500, body: { code: 'internal', message: 'x', field: null } }
  const { page } = await open({ 'GET /me/family': () => answer })
  expect(text(page)).toContain('服务暂时不可用')
  answer = ok({ family_id: 'f', members, card: null })
  await tap(page, '.retry')
  expect(page.querySelectorAll('.carer')).toHaveLength(2)
})
