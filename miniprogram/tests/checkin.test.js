const { fakeApi, installWx, renderPage, settle, text, tap, type, ok, fail, signIn, fakeSubscribe } = require('./helpers')

const NOW = new Date(2026, 11, 6, 9, 30) // 09:30 on the phone's clock
beforeAll(() => jest.useFakeTimers({ now: NOW, doNotFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'setInterval',
  'clearInterval', 'nextTick', 'queueMicrotask'] }))
afterAll(() => jest.useRealTimers())

const reply = (points, streak) => ({
  checkin: { checkin_id: 'k1', type: 'glucose', value: 6.2, local_date: '2026-12-06', counted: points > 0 },
  points_awarded: points, balance: 130,
  challenges: streak ? [{ challenge_id: 'c1', name: '控糖打卡', current_streak: streak, days: 7, streaks_completed: 0, completed_now: 0 }] : null,
})

const setup = { clinic: { clinic_id: 'demo-dental', name: '示例诊所' }, conditions: [],
  consent: { version: 'v1', purposes: [] }, privacy_policy: { version: 'v1', text: '' },
  subscribe_templates: [
    { kind: 'recall', template_id: 'tpl-recall', purpose: 'service', title: '复诊提醒' },
    { kind: 'content', template_id: 'tpl-content', purpose: 'marketing', title: '健康内容推送' },
  ] }
const channels = { preferred: null, order: ['wechat', 'inbox', 'sms'], wechat_linked: true, wechat_quota: {}, templates: {} }

async function open(routes = {}, wxExtra = {}) {
  const api = fakeApi({ 'GET /me/setup': ok(setup), ...routes })
  const wx = installWx(api, wxExtra)
  signIn(wx)
  const page = renderPage('checkin')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

async function fill(page, value = '6.2', meal = '.meal-fasting') {
  await type(page, '.value', value)
  await tap(page, meal)
  page.querySelector('.time-picker').dispatchEvent('change', { detail: { value: '07:45' } })
  await settle()
}

test('the form starts at now, in mmol/L', async () => {
  const { page } = await open()
  expect(text(page)).toContain('mmol/L')
  expect(page.querySelector('.time').querySelector('.t-cell__note').dom.textContent).toContain('09:30')
})

test('a reading is sent with its unit, time and an Idempotency-Key, and points and streak are shown', async () => {
  const { api, page } = await open({ 'POST /me/checkins': ok(reply(10, 4), 201) })
  await fill(page)
  await tap(page, '.submit')
  const sent = api.called('POST /me/checkins')
  expect(sent).toHaveLength(1)
  expect(sent[0].data.type).toBe('glucose')
  expect(sent[0].data.unit).toBe('mmol/L')
  expect(sent[0].data.value).toBe(6.2)
  expect(sent[0].data.context).toBe('fasting')
  expect(sent[0].data.client_time).toMatch(/^2026-12-06T07:45:00[+-]\d{2}:\d{2}$/)
  expect(new Date(sent[0].data.client_time).getTime()).toBe(new Date(2026, 11, 6, 7, 45).getTime())
  expect(sent[0].header['Idempotency-Key']).toMatch(/^glucose-/)
  const shown = text(page)
  expect(shown).toContain('打卡成功，+10 积分')
  expect(shown).toContain('当前积分：130')
  expect(shown).toContain('已连续打卡 4 天')
})

test('a second reading of the day earns nothing and says so kindly', async () => {
  const { page } = await open({ 'POST /me/checkins': ok(reply(0, 0), 201) })
  await fill(page)
  await tap(page, '.submit')
  expect(text(page)).toContain('今天的打卡积分已经领过了')
  expect(page.querySelector('.streak')).toBeFalsy()
})

test('out of range, missing meal and a future time are refused before sending', async () => {
  const { api, page } = await open()
  await type(page, '.value', '0.5')
  page.querySelector('.time-picker').dispatchEvent('change', { detail: { value: '10:00' } })
  await settle()
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins')).toHaveLength(0)
  const shown = text(page)
  expect(shown).toContain('血糖值应在 1 到 50 mmol/L 之间')
  expect(shown).toContain('请选择空腹、餐后或随机')
  expect(shown).toContain('测量时间不能晚于现在')
})

test('a retry after a network failure resends the same Idempotency-Key', async () => {
  const { api, page } = await open({ 'POST /me/checkins': { fail: 'request:fail' } })
  await fill(page)
  await tap(page, '.submit')
  expect(text(page)).toContain('网络不太顺畅')
  api.on('POST /me/checkins', ok(reply(10, 1), 201))
  await tap(page, '.submit')
  const sent = api.called('POST /me/checkins')
  expect(sent).toHaveLength(2)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(text(page)).toContain('打卡成功')
})

test('an API refusal is shown in Chinese, and 再记一次 starts a new form', async () => {
  const { page } = await open({ 'POST /me/checkins': fail('invalid_client_time', 400, 'client_time') })
  await fill(page)
  await tap(page, '.submit')
  expect(text(page)).toContain('记录时间不对')
  page.instance.setData({ result: { ...reply(10, 0), streak: 0 } })
  await tap(page, '.again')
  expect(page.data.value).toBe('')
  expect(page.querySelector('.submit')).toBeTruthy()
})

test('the three moments are offered, and 餐后 and 随机 are sent as after_meal and random', async () => {
  const { api, page } = await open({ 'POST /me/checkins': ok(reply(10, 0), 201) })
  const shown = text(page)
  expect(shown).toContain('空腹')
  expect(shown).toContain('餐后')
  expect(shown).toContain('随机')
  await fill(page, '8.1', '.meal-after_meal')
  await tap(page, '.submit')
  await tap(page, '.again')
  await fill(page, '7.0', '.meal-random')
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins').map((c) => c.data.context)).toEqual(['after_meal', 'random'])
})

test('a reading in mg/dL is sent in mg/dL and checked in that unit', async () => {
  const { api, page } = await open({ 'POST /me/checkins': ok(reply(10, 0), 201) })
  await tap(page, '.unit-1')
  expect(text(page)).toContain('mg/dL')
  await fill(page, '6.2') // 6.2 mg/dL is far too low: a mmol/L value typed with the mg/dL unit
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins')).toHaveLength(0)
  expect(text(page)).toContain('血糖值应在 18 到 900 mg/dL 之间')
  await type(page, '.value', '112')
  await tap(page, '.submit')
  const sent = api.called('POST /me/checkins')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toMatchObject({ type: 'glucose', unit: 'mg/dL', value: 112, context: 'fasting' })
})

test('after a check-in the WeChat reminder is offered; an accepted template is reported with a login code', async () => {
  const requestSubscribeMessage = fakeSubscribe({ 'tpl-recall': 'accept', 'tpl-content': 'reject' })
  const { api, wx, page } = await open({ 'POST /me/checkins': ok(reply(10, 1), 201),
    'POST /me/subscriptions': ok(channels, 201) }, { requestSubscribeMessage })
  await fill(page)
  await tap(page, '.submit')
  expect(requestSubscribeMessage).not.toHaveBeenCalled() // WeChat asks only from the patient's tap
  expect(text(page)).toContain('接收微信提醒')
  await tap(page, '.subscribe')
  await settle()
  expect(requestSubscribeMessage).toHaveBeenCalledTimes(1)
  expect(requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tpl-recall', 'tpl-content'])
  const reported = api.called('POST /me/subscriptions')
  expect(reported.map((c) => c.data)).toEqual([{ template_id: 'tpl-recall', code: 'wx-test' }])
  expect(wx.login).toHaveBeenCalled()
  expect(text(page)).toContain('已开启微信提醒')
  expect(page.querySelector('.subscribe')).toBeFalsy()
  // a second check-in the same day does not offer it again
  await tap(page, '.again')
  await fill(page, '7.2')
  await tap(page, '.submit')
  expect(text(page)).toContain('打卡成功')
  expect(page.querySelector('.subscribe')).toBeFalsy()
})

test('a refused subscription is not reported and says nothing', async () => {
  const requestSubscribeMessage = fakeSubscribe({}, 'requestSubscribeMessage:fail cancel')
  const { api, page } = await open({ 'POST /me/checkins': ok(reply(10, 1), 201) }, { requestSubscribeMessage })
  await fill(page)
  await tap(page, '.submit')
  await tap(page, '.subscribe')
  await settle()
  expect(requestSubscribeMessage).toHaveBeenCalledTimes(1)
  expect(api.called('POST /me/subscriptions')).toHaveLength(0)
  const shown = text(page)
  expect(shown).not.toContain('已开启微信提醒')
  expect(shown).not.toContain('出了点问题')
  expect(page.querySelector('.subscribe')).toBeFalsy()
})

test('steps from WeRun are one tap away', async () => {
  const { wx, page } = await open()
  await tap(page, '.werun')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/invite/steps/index' })
})

test('a blood pressure is sent as systolic and diastolic, checked before sending', async () => {
  const bpReply = { checkin: { checkin_id: 'k2', type: 'blood_pressure', value: 128, diastolic: 82, local_date: '2026-12-06',
    counted: true }, points_awarded: 1, balance: 131 }
  const { api, page } = await open({ 'POST /me/checkins': ok(bpReply, 201) })
  await tap(page, '.kind-blood_pressure')
  expect(text(page)).toContain('收缩压')
  await type(page, '.systolic', '80')
  await type(page, '.diastolic', '90')
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins')).toHaveLength(0)
  expect(text(page)).toContain('舒张压应低于收缩压')
  await type(page, '.systolic', '128')
  await type(page, '.diastolic', '82')
  await tap(page, '.submit')
  const sent = api.called('POST /me/checkins')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toMatchObject({ type: 'blood_pressure', value: 128, diastolic: 82 })
  expect(sent[0].data.unit).toBeUndefined()
  expect(sent[0].data.context).toBeUndefined()
  expect(sent[0].header['Idempotency-Key']).toMatch(/^blood_pressure-/)
  expect(text(page)).toContain('打卡成功，+1 积分')
})

test('the page opens on blood pressure when asked to', async () => {
  const api = fakeApi({ 'GET /me/setup': ok(setup) })
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('checkin')
  page.instance.onLoad({ type: 'blood_pressure' })
  await settle()
  expect(page.querySelector('.systolic')).toBeTruthy()
  expect(page.querySelector('.meal')).toBeFalsy()
})

// ---- the clinic's own check-in types (GET /me/setup `checkin_types`)

const TYPES = [
  { code: 'glucose', label: '血糖', unit: 'mmol/L', input: 'number', low: 1, high: 50, places: 1 },
  { code: 'steps', label: '步数', unit: 'steps', input: 'number', low: 0, high: 100000, places: 0 },
  { code: 'task', label: '任务', unit: 'times', input: 'number', low: 1, high: 100, places: 0 },
  { code: 'blood_pressure', label: '血压', unit: 'mmHg', input: 'blood_pressure', low: 50, high: 260, places: 0, low2: 30, high2: 160 },
  { code: 'weight', label: '体重', unit: 'kg', input: 'number', low: 20, high: 250, places: 1 },
]
const weightReply = { checkin: { checkin_id: 'k3', type: 'weight', value: 61.5, local_date: '2026-12-06', counted: true },
  points_awarded: 5, balance: 135 }

async function openWith(routes = {}, query = undefined) {
  const api = fakeApi({ 'GET /me/setup': ok({ ...setup, checkin_types: TYPES }), ...routes })
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('checkin')
  page.instance.onLoad(query)
  await settle()
  return { api, wx, page }
}

test("the clinic's own type is offered by its label; steps and tasks are not typed here", async () => {
  const { page } = await openWith()
  const label = (code) => page.querySelector(`.kind-${code}`).querySelector('.t-radio').dom.textContent.trim()
  expect(['glucose', 'blood_pressure', 'weight'].map(label)).toEqual(['血糖', '血压', '体重'])
  expect(page.querySelector('.kind-steps')).toBeFalsy()
  expect(page.querySelector('.kind-task')).toBeFalsy()
  await tap(page, '.kind-weight')
  const shown = text(page)
  expect(shown).toContain('体重')
  expect(shown).toContain('kg')
  expect(shown).toContain('可填 20 到 250 kg，最多 1 位小数')
  expect(page.querySelector('.meal')).toBeFalsy() // no glucose moments for a weight
  expect(page.querySelector('.systolic')).toBeFalsy()
})

test('a weight is sent as its code and number, with no unit or moment', async () => {
  const { api, page } = await openWith({ 'POST /me/checkins': ok(weightReply, 201) })
  await tap(page, '.kind-weight')
  await type(page, '.value', '61.5')
  page.querySelector('.time-picker').dispatchEvent('change', { detail: { value: '07:45' } })
  await settle()
  await tap(page, '.submit')
  const sent = api.called('POST /me/checkins')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ type: 'weight', value: 61.5, client_time: sent[0].data.client_time })
  expect(sent[0].data.client_time).toMatch(/^2026-12-06T07:45:00[+-]\d{2}:\d{2}$/)
  expect(sent[0].header['Idempotency-Key']).toMatch(/^weight-/)
  expect(text(page)).toContain('打卡成功，+5 积分')
})

test('a weight outside its range or with too many decimals is refused before sending, with the range', async () => {
  const { api, page } = await openWith({ 'POST /me/checkins': ok(weightReply, 201) })
  await tap(page, '.kind-weight')
  await type(page, '.value', '300')
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins')).toHaveLength(0)
  expect(text(page)).toContain('体重应在 20 到 250 kg 之间，请核对')
  await type(page, '.value', '61.55')
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins')).toHaveLength(0)
  expect(text(page)).toContain('体重最多填 1 位小数')
  await type(page, '.value', '61.50') // a trailing zero is not a decimal more
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins').map((c) => c.data.value)).toEqual([61.5])
})

test("the API's refusals of a clinic type are shown in Chinese, and the clinic's types are read again", async () => {
  const { api, page } = await openWith({ 'POST /me/checkins': fail('invalid_reading', 400, 'value') })
  await tap(page, '.kind-weight')
  await type(page, '.value', '61.5')
  await tap(page, '.submit')
  expect(text(page)).toContain('这个读数超出了诊所设定的范围')
  expect(text(page)).not.toContain('invalid_reading')
  expect(api.called('GET /me/setup').length).toBeGreaterThanOrEqual(2)
  // the clinic has stopped recording weights: the refusal says so and weight is no longer offered
  api.on('GET /me/setup', ok({ ...setup, checkin_types: TYPES.filter((t) => t.code !== 'weight') }))
  api.on('POST /me/checkins', fail('unknown_checkin_type', 400, 'type'))
  await type(page, '.value', '61.4')
  await tap(page, '.submit')
  await settle()
  expect(text(page)).toContain('诊所现在不记录这一项了')
  expect(page.querySelector('.kind-weight')).toBeFalsy()
  expect(page.data.kind).toBe('glucose')
})

test('?type=weight opens the page on the weight', async () => {
  const { page } = await openWith({}, { type: 'weight' })
  expect(page.data.kind).toBe('weight')
  expect(page.querySelector('.number-value')).toBeTruthy()
  expect(text(page)).toContain('可填 20 到 250 kg')
})

test("the clinic's blood pressure range is the one checked", async () => {
  const narrow = TYPES.map((t) => (t.code === 'blood_pressure' ? { ...t, high: 200 } : t))
  const api = fakeApi({ 'GET /me/setup': ok({ ...setup, checkin_types: narrow }) })
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('checkin')
  page.instance.onLoad({ type: 'blood_pressure' })
  await settle()
  await type(page, '.systolic', '220')
  await type(page, '.diastolic', '90')
  await tap(page, '.submit')
  expect(api.called('POST /me/checkins')).toHaveLength(0)
  expect(text(page)).toContain('收缩压应在 50 到 200 mmHg 之间')
})

test('offline, the page offers glucose and blood pressure; a list read before is kept on the phone', async () => {
  const api = fakeApi({ 'GET /me/setup': { fail: 'request:fail' } })
  const wx = installWx(api)
  signIn(wx)
  let page = renderPage('checkin')
  page.instance.onLoad()
  await settle()
  expect(page.data.kinds.map((k) => k.value)).toEqual(['glucose', 'blood_pressure'])
  expect(text(page)).toContain('血压')
  expect(page.querySelector('.value')).toBeTruthy()
  // read once online, then offline again: the clinic's list from last time
  api.on('GET /me/setup', ok({ ...setup, checkin_types: TYPES }))
  page.instance.onLoad()
  await settle()
  api.on('GET /me/setup', { fail: 'request:fail' })
  page = renderPage('checkin')
  page.instance.onLoad({ type: 'weight' })
  await settle()
  expect(page.data.kinds.map((k) => k.value)).toEqual(['glucose', 'blood_pressure', 'weight'])
  expect(page.data.kind).toBe('weight')
})

test("back on the tab from a card's 去打卡, the card's type is chosen once", async () => {
  const { wx, page } = await openWith()
  expect(page.data.kind).toBe('glucose')
  wx.storage.set('revisit.checkinWanted', 'weight') // utils/checkin.ts openCheckin('weight'), then switchTab
  page.instance.onShow()
  await settle()
  expect(page.data.kind).toBe('weight')
  expect(page.querySelector('.number-value')).toBeTruthy()
  expect(wx.storage.has('revisit.checkinWanted')).toBe(false)
  await tap(page, '.kind-blood_pressure')
  page.instance.onShow() // coming back again without a card keeps the patient's choice
  await settle()
  expect(page.data.kind).toBe('blood_pressure')
})
