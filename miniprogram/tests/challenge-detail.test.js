// 打卡日历 (packages/challenge/detail): one joined challenge's streak calendar and progress.
const path = require('path')
const { BUILD, fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn, dayFromToday } = require('./helpers')

const { streakCalendar } = require(path.join(BUILD, 'packages/challenge/detail/calendar.js'))

const T = dayFromToday
const reward = { type: 'voucher', voucher_kind: 'glucose-test', voucher_name: '免费血糖检测券', voucher_name_en: null,
  valid_days: 30, points: null }

function challenge(overrides = {}, progressOverrides = {}) {
  return { challenge_id: 'glucose-guard-365', name: '365天血糖守护', name_en: null, checkin_type: 'glucose', days: 7,
    grace: 1, reward, start_date: '2020-01-01', end_date: '2099-12-31', joined: true, open: true,
    progress: { joined_on: T(-20), current_streak: 4, streak_start: T(-4), grace_used: 1, days_to_go: 3, last_day: T(0),
      best_streak: 7, streaks_completed: 1,
      rewards: [{ streak_start: T(-13), completed_on: T(-7), earned_on: T(-7), type: 'voucher', voucher_id: 'v1',
        code: 'ABCD-EFGH', points: null }], ...progressOverrides },
    ...overrides }
}

const checkin = (day, type = 'glucose') => ({ checkin_id: `c-${type}-${day}`, type, value: 6.1, local_date: day,
  client_time: `${day}T08:00:00+08:00`, counted: true })

// Glucose on the rewarded streak's 7 days and the running streak's days except the grace day (-2);
// steps on -5 (another type: not counted); glucose on -21, before joining (not counted).
const CHECKINS = [0, -1, -3, -4, -7, -8, -9, -10, -11, -12, -13].map((d) => checkin(T(d)))
  .concat([checkin(T(-5), 'steps'), checkin(T(-21))])

async function open(routes, id = 'glucose-guard-365') {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/challenge/detail/index')
  page.instance.onLoad({ id })
  await settle()
  return { api, wx, page }
}

/** The state class of the calendar cell of day `offset` from today (the last row holds today). */
function stateOf(page, offset) {
  const weekday = (new Date().getDay() + 6) % 7
  const cells = page.querySelectorAll('.day')
  const cell = cells[21 + weekday + offset]
  // The simulator prefixes a component's own classes ("main--counted").
  const classes = cell.dom.className.split(/\s+/).map((c) => c.replace(/^[\w-]*?--/, ""))
  return ['counted', 'grace', 'missed', 'pending', 'future', 'outside'].find((s) => classes.includes(s))
    + (classes.includes('reward') ? '+reward' : '') + (classes.includes('today') ? '+today' : '')
}

test('the calendar shows counted days, the grace day used, the completed streak and the days to go', async () => {
  const { api, page } = await open({
    'GET /me/challenges': ok({ items: [challenge()] }),
    'GET /me/checkins': ok({ items: CHECKINS }),
  })
  expect(api.called('GET /me/challenges')).toHaveLength(1)
  expect(api.called('GET /me/checkins')).toHaveLength(1)
  const shown = text(page)
  expect(shown).toContain('365天血糖守护')
  expect(shown).toContain('已连续 4 天')
  expect(shown).toContain('再坚持 3 天就能获得免费血糖检测券 1 张')
  expect(shown).toContain('本轮可漏记 1 天：已用 1 天')
  expect(shown).toContain('已完成 1 轮，最长连续 7 天')
  expect(shown).toMatch(/第 1 轮（\d+月\d+日 至 \d+月\d+日）：免费血糖检测券 1 张/)
  expect(shown).not.toMatch(/glucose|guard-365/)

  expect(page.querySelectorAll('.day')).toHaveLength(28)
  expect(stateOf(page, 0)).toBe('counted+today')
  expect(stateOf(page, -1)).toBe('counted')
  expect(stateOf(page, -2)).toBe('grace')
  expect(stateOf(page, -3)).toBe('counted')
  expect(stateOf(page, -5)).toBe('missed') // a steps check-in does not count for a glucose challenge
  expect(stateOf(page, -6)).toBe('missed')
  expect(stateOf(page, -7)).toBe('counted+reward')
  expect(stateOf(page, -13)).toBe('counted')
  expect(stateOf(page, -21)).toBe('outside') // before the patient joined
  if (new Date().getDay() !== 0) expect(stateOf(page, 1)).toBe('future')
})

test('a streak not started yet and no grace: the page says what to do and that a missed day restarts it', async () => {
  const { page } = await open({
    'GET /me/challenges': ok({ items: [challenge({ grace: 0 }, { current_streak: 0, streak_start: null, grace_used: 0,
      days_to_go: 7, last_day: null, best_streak: 0, streaks_completed: 0, rewards: [], joined_on: T(0) })] }),
    'GET /me/checkins': ok({ items: [] }),
  })
  const shown = text(page)
  expect(shown).toContain('已连续 0 天')
  expect(shown).toContain('今天记录一次血糖，就开始计算连续天数')
  expect(shown).toContain('这个活动不能漏记')
  expect(shown).toContain('还没有完成一轮')
  expect(stateOf(page, 0)).toBe('pending+today')
  expect(stateOf(page, -1)).toBe('outside')
})

test('a challenge not joined shows its terms and leads to the challenges page', async () => {
  const { wx, page } = await open({
    'GET /me/challenges': ok({ items: [challenge({ joined: false, progress: null })] }),
    'GET /me/checkins': ok({ items: [] }),
  })
  expect(text(page)).toContain('您还没有参加这个活动')
  expect(text(page)).toContain('连续 7 天，就能获得免费血糖检测券 1 张')
  await tap(page, '.to-challenges')
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/pages/challenges/index' })
})

test('an unknown challenge and a failed load each say so; the vouchers button opens the vouchers', async () => {
  const gone = await open({ 'GET /me/challenges': ok({ items: [] }), 'GET /me/checkins': ok({ items: [] }) }, 'old')
  expect(text(gone.page)).toContain('没有找到这个活动')
  const broken = await open({ 'GET /me/challenges': ok({ items: [challenge()] }), 'GET /me/checkins': { fail: 'request:fail timeout' } })
  expect(text(broken.page)).toContain('请求超时了')
  const fine = await open({ 'GET /me/challenges': ok({ items: [challenge()] }), 'GET /me/checkins': ok({ items: CHECKINS }) })
  await tap(fine.page, '.vouchers')
  expect(fine.wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/challenge/vouchers/index' })
})

test("a challenge on the clinic's own type (体重) reads with its label and counts that type's check-ins", async () => {
  const { setupReply } = require('./helpers')
  const types = [{ code: 'weight', label: '体重', unit: 'kg', input: 'number', low: 20, high: 250, places: 1 }]
  const { page } = await open({
    'GET /me/setup': ok(setupReply({ checkin_types: types })),
    'GET /me/challenges': ok({ items: [challenge({ checkin_type: 'weight', grace: 0 }, { current_streak: 0, streak_start: null,
      grace_used: 0, days_to_go: 7, last_day: null, best_streak: 0, streaks_completed: 0, rewards: [], joined_on: T(0) })] }),
    'GET /me/checkins': ok({ items: [checkin(T(0), 'glucose')] }),
  })
  const shown = text(page)
  expect(shown).toContain('今天记录一次体重，就开始计算连续天数')
  expect(shown).toContain('已记录体重')
  expect(shown).not.toContain('weight')
  expect(stateOf(page, 0)).toBe('pending+today') // a glucose reading is not a weight
  // 去记录体重 opens the check-in tab on the weight
  await tap(page, '.record')
  expect(global.wx.switchTab).toHaveBeenCalledWith({ url: '/pages/checkin/index' })
  expect(global.wx.storage.get('revisit.checkinWanted')).toBe('weight')
})

test('streakCalendar: weeks start on Monday, the first of a month is labelled, days after the end do not count', () => {
  const c = challenge({ end_date: '2026-03-02' }, { joined_on: '2026-02-01', streak_start: '2026-02-27',
    last_day: '2026-03-03', rewards: [] })
  // 2026-03-04 is a Wednesday.
  const weeks = streakCalendar(c, new Set(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-03']), '2026-03-04', 2)
  expect(weeks).toHaveLength(2)
  expect(weeks[0][0].date).toBe('2026-02-23')
  expect(weeks[1][6].date).toBe('2026-03-08')
  const byDate = Object.fromEntries(weeks.flat().map((d) => [d.date, d]))
  expect(byDate['2026-03-01'].label).toBe('3月')
  expect(byDate['2026-02-28'].state).toBe('counted')
  expect(byDate['2026-03-03'].state).not.toBe('counted') // after the challenge's last day
  expect(byDate['2026-03-04'].today).toBe(true)
  expect(byDate['2026-03-05'].state).toBe('future')
})
