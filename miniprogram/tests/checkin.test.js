const { fakeApi, installWx, renderPage, settle, text, tap, type, ok, fail, signIn } = require('./helpers')

const NOW = new Date(2026, 11, 6, 9, 30) // 09:30 on the phone's clock
beforeAll(() => jest.useFakeTimers({ now: NOW, doNotFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'setInterval',
  'clearInterval', 'nextTick', 'queueMicrotask'] }))
afterAll(() => jest.useRealTimers())

const reply = (points, streak) => ({
  checkin: { checkin_id: 'k1', type: 'glucose', value: 6.2, local_date: '2026-12-06', counted: points > 0 },
  points_awarded: points, balance: 130,
  challenges: streak ? [{ challenge_id: 'c1', name: '控糖打卡', current_streak: streak, days: 7, streaks_completed: 0, completed_now: 0 }] : null,
})

async function open(routes = {}) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('checkin')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

async function fill(page, value = '6.2') {
  await type(page, '.value', value)
  await tap(page, '.meal-fasting')
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
  expect(shown).toContain('请选择空腹或餐后')
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
