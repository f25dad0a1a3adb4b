// A family member's page (packages/family/member?id=…): their check-ups and reminders, a check-in for them.
const { fakeApi, installWx, renderAt, settle, text, tap, type, ok, fail, signIn, dayFromToday, setupReply } = require('./helpers')

const member = (id, name, relation, extra = {}) => ({ member_id: id, name, relation, minor: false, me: false,
  i_care_for: false, cares_for_me: false, may_checkin: false, gets_reminders: false, ...extra })

const members = [
  member('p-me', '王*', 'self', { me: true }),
  member('p-baby', '李*', 'child', { minor: true, i_care_for: true, may_checkin: true, gets_reminders: true }),
  member('p-father', '王**', 'parent', { gets_reminders: true }),
]
const family = { family_id: 'fam-1', members, card: null }

const checkinTypes = [
  { code: 'glucose', label: '血糖', unit: 'mmol/L', input: 'number', low: 1, high: 50, places: 1 },
  { code: 'steps', label: '步数', unit: 'steps', input: 'number', low: 0, high: 100000, places: 0 },
  { code: 'blood_pressure', label: '血压', unit: 'mmHg', input: 'blood_pressure', low: 50, high: 260, places: 0, low2: 30, high2: 160 },
  { code: 'weight', label: '体重', unit: 'kg', input: 'number', low: 2, high: 250, places: 1 },
]

const infantSchedule = {
  items: [
    { title: '3月龄体检', due_date: dayFromToday(40), kind: 'checkup' },
    { title: '满月(42天)体检', due_date: dayFromToday(-5), kind: 'checkup' },
    { title: '6月龄体检', due_date: dayFromToday(130), kind: 'checkup' },
    { title: '8月龄体检', due_date: dayFromToday(190), kind: 'checkup' },
    { title: '12月龄体检', due_date: dayFromToday(310), kind: 'checkup' },
  ],
}

const checkinReply = { checkin: { checkin_id: 'ck-1', type: 'weight', value: 6.2, local_date: dayFromToday(0), counted: true },
  points_awarded: 5, balance: 5, challenges: [] }

async function open(routes, id = 'p-baby') {
  const api = fakeApi({ 'GET /me/family': ok(family), 'GET /me/setup': ok(setupReply({ checkin_types: checkinTypes })), ...routes })
  const wx = installWx(api, { setNavigationBarTitle: jest.fn() })
  signIn(wx)
  const page = renderAt('packages/family/member')
  page.instance.onLoad({ id })
  await settle(8)
  return { api, wx, page }
}

test('an infant: the check-up schedule, soonest first, the past one last; the title is their masked name', async () => {
  const { page, api, wx } = await open({ 'GET /me/family/p-baby/reminders': ok(infantSchedule) })
  expect(api.called('GET /me/family/p-baby/reminders')).toHaveLength(1)
  expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '李*' })
  const shown = text(page)
  expect(shown).toContain('孩子')
  expect(shown).toContain('体检和提醒安排')
  expect(shown).toContain('42 天（满月）、3 月龄、6 月龄、8 月龄、12 月龄')
  const titles = page.querySelectorAll('.reminder').map((r) => r.dom.querySelector('[class*="reminder-title"]').textContent)
  expect(titles).toEqual(['3月龄体检', '6月龄体检', '8月龄体检', '12月龄体检', '满月(42天)体检'])
  expect(page.querySelector('.reminder-0').dom.textContent).toContain('还有 40 天')
  expect(page.querySelector('.reminder-0').dom.textContent).toContain('体检')
  expect(page.querySelector('.reminder-4').dom.textContent).toContain('已过 5 天')
  expect(shown).not.toContain('checkup')
})

test('the check-in offers the clinic\'s types (not steps); a reading out of range is refused before sending', async () => {
  const { page, api } = await open({ 'GET /me/family/p-baby/reminders': ok(infantSchedule) })
  for (const code of ['glucose', 'blood_pressure', 'weight']) expect(page.querySelector(`.kind-${code}`)).toBeTruthy()
  expect(page.querySelector('.kind-steps')).toBeFalsy()
  expect(text(page)).toContain('体重')
  expect(text(page)).not.toContain('步数')
  await tap(page, '.kind-weight', '.t-radio')
  await type(page, '.value', '300')
  await tap(page, '.submit')
  expect(text(page)).toContain('体重应在 2 到 250 kg 之间，请核对')
  await type(page, '.value', '6.25')
  await tap(page, '.submit')
  expect(text(page)).toContain('体重最多填 1 位小数')
  expect(api.called('POST /me/family/p-baby/checkins')).toHaveLength(0)
})

test('a check-in for them: one POST on their record with a key, then what was recorded', async () => {
  const { page, api } = await open({ 'GET /me/family/p-baby/reminders': ok(infantSchedule),
    'POST /me/family/p-baby/checkins': ok(checkinReply, 201) })
  await tap(page, '.kind-weight', '.t-radio')
  await type(page, '.value', '6.2')
  await tap(page, '.submit')
  const sent = api.called('POST /me/family/p-baby/checkins')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toMatchObject({ type: 'weight', value: 6.2 })
  expect(sent[0].data.client_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00[+-]\d{2}:\d{2}$/)
  expect(sent[0].header['Idempotency-Key']).toMatch(/^family-weight-/)
  expect(api.called('POST /me/checkins')).toHaveLength(0) // never on the carer's own record
  expect(text(page)).toContain('已为李*记下体重')
  expect(text(page)).toContain('TA 获得 5 积分')
  await tap(page, '.again')
  expect(page.querySelector('.submit')).toBeTruthy()
})

test('blood glucose needs when it was taken; blood pressure both numbers', async () => {
  const { page, api } = await open({ 'GET /me/family/p-baby/reminders': ok(infantSchedule),
    'POST /me/family/p-baby/checkins': ok(checkinReply, 201) })
  await tap(page, '.kind-glucose', '.t-radio')
  await type(page, '.value', '6.8')
  await tap(page, '.submit')
  expect(text(page)).toContain('请选择空腹、餐后或随机')
  await tap(page, '.meal-fasting', '.t-radio')
  await tap(page, '.submit')
  expect(api.called('POST /me/family/p-baby/checkins')[0].data).toMatchObject({ type: 'glucose', value: 6.8, unit: 'mmol/L', context: 'fasting' })
  await tap(page, '.again')
  await tap(page, '.kind-blood_pressure', '.t-radio')
  await type(page, '.value', '120')
  await type(page, '.diastolic', '130')
  await tap(page, '.submit')
  expect(text(page)).toContain('舒张压应低于收缩压')
  await type(page, '.diastolic', '80')
  await tap(page, '.submit')
  expect(api.called('POST /me/family/p-baby/checkins')[1].data).toMatchObject({ type: 'blood_pressure', value: 120, diastolic: 80 })
})

test('a retry after a failure sends the same key; the API\'s refusal reads in Chinese', async () => {
  let answer = { fail: 'request:fail' }
  const { page, api } = await open({ 'GET /me/family/p-baby/reminders': ok(infantSchedule),
    'POST /me/family/p-baby/checkins': () => answer })
  await tap(page, '.kind-weight', '.t-radio')
  await type(page, '.value', '6.2')
  await tap(page, '.submit')
  expect(text(page)).toContain('网络不太顺畅')
  answer = fail('invalid_reading', 400, 'value')
  await tap(page, '.submit')
  const keys = api.called('POST /me/family/p-baby/checkins').map((c) => c.header['Idempotency-Key'])
  expect(keys[1]).toBe(keys[0])
  expect(text(page)).toContain('这个读数超出了诊所设定的范围')
})

test('no longer allowed to check in: said in Chinese and the form goes', async () => {
  const { page } = await open({ 'GET /me/family/p-baby/reminders': ok(infantSchedule),
    'POST /me/family/p-baby/checkins': fail('not_your_dependant', 403) })
  await tap(page, '.kind-weight', '.t-radio')
  await type(page, '.value', '6.2')
  await tap(page, '.submit')
  expect(page.querySelector('.submit')).toBeFalsy()
  expect(text(page)).toContain('TA 没有让您代为打卡')
})

test('an adult who only sends their reminders: the reminders, no check-in form', async () => {
  const { page } = await open({ 'GET /me/family/p-father/reminders': ok({ items: [
    { title: '高血压复诊', due_date: dayFromToday(1), kind: 'recall' }] }) }, 'p-father')
  const shown = text(page)
  expect(shown).toContain('接下来的复诊和提醒')
  expect(shown).toContain('高血压复诊')
  expect(shown).toContain('明天')
  expect(shown).toContain('复诊提醒')
  expect(shown).toContain('TA 的提醒会发给您')
  expect(page.querySelector('.submit')).toBeFalsy()
  expect(shown).toContain('TA 没有让您代为打卡')
})

test('nothing planned yet: a kind empty state', async () => {
  const { page } = await open({ 'GET /me/family/p-father/reminders': ok({ items: [] }) }, 'p-father')
  expect(text(page)).toContain('暂时没有安排')
})

test('a refused reminders list is said in Chinese; the rest of the page stays', async () => {
  const { page } = await open({ 'GET /me/family/p-baby/reminders': fail('not_your_dependant', 403) })
  expect(page.querySelector('.reminders-error').dom.textContent).toContain('TA 没有让您代为打卡')
  expect(page.querySelector('.submit')).toBeTruthy()
})

test('a member no longer in the household, or no id: said so', async () => {
  const { page } = await open({ 'GET /me/family/p-gone/reminders': ok({ items: [] }) }, 'p-gone')
  expect(text(page)).toContain('这位家人已经不在您的家庭里了')
  const second = await open({}, '')
  expect(text(second.page)).toContain('没有找到这位家人')
  expect(second.api.calls).toHaveLength(0)
})

test('a failed load offers a retry', async () => {
  let answer = { fail: 'request:fail timeout' }
  const { page } = await open({ 'GET /me/family': () => answer, 'GET /me/family/p-baby/reminders': ok(infantSchedule) })
  expect(text(page)).toContain('请求超时了')
  answer = ok(family)
  await tap(page, '.retry')
  await settle()
  expect(text(page)).toContain('3月龄体检')
})
