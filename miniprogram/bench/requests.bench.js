// Counts the wx.request calls of two patient moments, rendered from build/ by the simulator as
// the tests do: the home page's first screen (onLoad) and a glucose check-in from the tap on
// 提交 to the answer shown. Writes {home, checkin} to the file named by REQUESTS_OUT.
const fs = require('fs')
const { fakeApi, installWx, renderPage, settle, tap, type, ok, signIn } = require('../tests/helpers')

const results = {}
afterAll(() => fs.writeFileSync(process.env.REQUESTS_OUT || 'requests.json', JSON.stringify(results)))
// the phone's clock at 09:30 on the day of the answers below, so the 07:45 reading is never in the future
beforeAll(() => jest.useFakeTimers({ now: new Date(2026, 11, 6, 9, 30), doNotFake: ['setTimeout', 'clearTimeout',
  'setImmediate', 'setInterval', 'clearInterval', 'nextTick', 'queueMicrotask'] }))
afterAll(() => jest.useRealTimers())

// Answers shaped as docs/openapi.json gives them, for a diabetic patient four days into a streak.
const home = {
  today: '2026-12-06', me: { name_masked: '王*', nickname: null },
  checkins: [], tasks: [],
  streaks: [{ challenge_id: 'glucose-guard-365', name: '控糖打卡', checkin_type: 'glucose', current_streak: 4, days: 7,
    days_to_go: 3, grace: 1, grace_used: 0, last_day: '2026-12-05' }],
  points: { balance: 120, tier: 'silver', next_expiring: { points: 20, expires_on: '2027-03-31' } },
  revisit: { revisit_due_date: '2026-12-20', next_booking_date: null }, inbox_unread: 1,
}
const me = { patient: { patient_id: 'p1', name: '王芳', phone: '13800000000', birth_year: 1965, sex: 'F', district: null,
  conditions: ['diabetes'], department: null, persona_tags: [], balance: 120, earned_total: 150, nickname: null,
  phone_verified: true, next_booking_date: null, created_at: '2026-01-01T00:00:00Z', last_visit_date: null,
  revisit_due_date: '2026-12-20' } }
const challenge = { challenge_id: 'glucose-guard-365', name: '控糖打卡', name_en: null, checkin_type: 'glucose', days: 7,
  grace: 1, reward: {}, start_date: '2026-11-01', end_date: '2027-11-01', joined: true, open: true,
  progress: { joined_on: '2026-11-01', current_streak: 4, streak_start: '2026-12-02', grace_used: 0, days_to_go: 3,
    last_day: '2026-12-05', best_streak: 4, streaks_completed: 0, rewards: [] } }
const routes = () => ({
  'GET /me/home': ok(home),
  'GET /me': ok(me),
  'GET /me/challenges': ok({ items: [challenge] }),
  'GET /me/inbox': ok({ items: [], unread: 1 }),
  'POST /me/checkins': ok({ checkin: { checkin_id: 'k1', type: 'glucose', value: 6.2, local_date: '2026-12-06',
    counted: true }, points_awarded: 10, balance: 130, challenges: [{ challenge_id: 'glucose-guard-365',
    name: '控糖打卡', current_streak: 5, days: 7, streaks_completed: 0, completed_now: 0 }] }, 201),
})

test('home: requests of the first screen', async () => {
  const api = fakeApi(routes())
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('home')
  page.instance.onLoad()
  await settle(10)
  results.home = { requests: api.calls.length, routes: api.calls.map((c) => `${c.method} ${c.path}`) }
  expect(api.calls.length).toBeGreaterThan(0)
})

test('check-in: requests from the tap on 提交', async () => {
  const api = fakeApi(routes())
  const wx = installWx(api, { requestSubscribeMessage: (o) => o.success && o.success({ errMsg: 'ok' }) })
  signIn(wx)
  const page = renderPage('checkin')
  page.instance.onLoad()
  await settle(10)
  await type(page, '.value', '6.2')
  await tap(page, '.meal-fasting')
  page.querySelector('.time-picker').dispatchEvent('change', { detail: { value: '07:45' } })
  await settle()
  const before = api.calls.length
  await tap(page, '.submit')
  await settle(10)
  const sent = api.calls.slice(before)
  results.checkin = { requests: sent.length, routes: sent.map((c) => `${c.method} ${c.path}`) }
  expect(api.called('POST /me/checkins')).toHaveLength(1)
})
