// 打卡活动 (pages/challenges): open challenges with their terms, joining, joined ones with the streak.
const { fakeApi, installWx, renderPage, settle, text, tap, ok, fail, signIn } = require('./helpers')

const voucherReward = { type: 'voucher', voucher_kind: 'glucose-test', voucher_name: '免费血糖检测券',
  voucher_name_en: 'Free glucose test', valid_days: 30, points: null }

function challenge(id, overrides = {}) {
  return { challenge_id: id, name: '365天血糖守护', name_en: '365-day glucose guard', checkin_type: 'glucose',
    days: 7, grace: 1, reward: voucherReward, start_date: '2026-01-01', end_date: '2026-12-31',
    joined: false, open: true, progress: null, ...overrides }
}

const progress = (overrides = {}) => ({ joined_on: '2026-11-20', current_streak: 3, streak_start: '2026-12-04',
  grace_used: 0, days_to_go: 4, last_day: '2026-12-06', best_streak: 7, streaks_completed: 1, rewards: [], ...overrides })

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('challenges')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('open challenges show their terms in plain Chinese; joined ones show the running streak', async () => {
  const { page } = await open({
    'GET /me/challenges': ok({ items: [
      challenge('glucose-guard-365'),
      challenge('steps-30', { name: '万步走', checkin_type: 'steps', days: 30, grace: 0,
        reward: { type: 'points', points: 50 }, joined: true, progress: progress({ current_streak: 12, days_to_go: 18 }) }),
      challenge('closed-one', { name: '旧活动', open: false }),
    ] }),
  })
  const shown = text(page)
  expect(shown).toContain('我参加的活动')
  expect(shown).toContain('万步走')
  expect(shown).toContain('已连续 12 天，再坚持 18 天就能获得50 积分')
  expect(shown).toContain('已完成 1 轮')
  expect(shown).toContain('可以参加的活动')
  expect(shown).toContain('每天记录一次血糖，连续 7 天，就能获得免费血糖检测券 1 张')
  expect(shown).toContain('奖励券发出后 30 天内有效')
  expect(shown).toContain('中间可以漏记 1 天不算中断')
  expect(shown).toContain('活动时间：2026年1月1日 至 2026年12月31日')
  expect(shown).not.toContain('旧活动') // neither joined nor open
  // No raw codes or ids for the patient.
  expect(shown).not.toMatch(/glucose|steps|voucher|guard-365/)
  expect(page.querySelectorAll('.join')).toHaveLength(1)
})

test('joining sends an Idempotency-Key and moves the challenge to the joined ones', async () => {
  const { api, wx, page } = await open({
    'GET /me/challenges': ok({ items: [challenge('glucose-guard-365')] }),
    'POST /me/challenges/glucose-guard-365/join': ok({ challenge: challenge('glucose-guard-365',
      { joined: true, progress: progress({ current_streak: 0, streak_start: null, days_to_go: 7, last_day: null,
        best_streak: 0, streaks_completed: 0 }) }) }, 201),
  })
  expect(text(page)).not.toContain('我参加的活动')
  await tap(page, '.join-0')
  const sent = api.called('POST /me/challenges/glucose-guard-365/join')
  expect(sent).toHaveLength(1)
  expect(sent[0].header['Idempotency-Key']).toMatch(/^join-/)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '参加成功' }))
  const shown = text(page)
  expect(shown).toContain('我参加的活动')
  expect(shown).toContain('今天记录一次血糖，就开始计算连续天数')
  expect(shown).not.toContain('可以参加的活动')
  expect(page.querySelectorAll('.join')).toHaveLength(0)
})

test('joining again (200, already joined) is shown the same way', async () => {
  const { page } = await open({
    'GET /me/challenges': ok({ items: [challenge('g')] }),
    'POST /me/challenges/g/join': ok({ challenge: challenge('g', { joined: true, progress: progress() }) }, 200),
  })
  await tap(page, '.join-0')
  expect(text(page)).toContain('已连续 3 天，再坚持 4 天就能获得免费血糖检测券 1 张')
})

test('a closed challenge and a patient not eligible are told kindly, next to the challenge', async () => {
  const closed = await open({
    'GET /me/challenges': ok({ items: [challenge('g')] }),
    'POST /me/challenges/g/join': fail('challenge_closed', 409),
  })
  await tap(closed.page, '.join-0')
  expect(closed.page.querySelector('.join-error').dom.textContent).toContain('这个活动已经结束或暂停报名了')
  expect(text(closed.page)).not.toContain('challenge_closed')

  const other = await open({
    'GET /me/challenges': ok({ items: [challenge('g')] }),
    'POST /me/challenges/g/join': fail('not_eligible', 403),
  })
  await tap(other.page, '.join-0')
  expect(text(other.page)).toContain('这个活动是为其他病种的患者准备的')
  expect(text(other.page)).not.toContain('not_eligible')
})

test('a join retried after a network failure resends the same key', async () => {
  let attempts = 0
  const { api, page } = await open({
    'GET /me/challenges': ok({ items: [challenge('g')] }),
    'POST /me/challenges/g/join': () => {
      attempts += 1
      return attempts === 1 ? { fail: 'request:fail' } : ok({ challenge: challenge('g', { joined: true, progress: progress() }) }, 201)
    },
  })
  await tap(page, '.join-0')
  expect(text(page)).toContain('网络不太顺畅')
  await tap(page, '.join-0')
  const sent = api.called('POST /me/challenges/g/join')
  expect(sent).toHaveLength(2)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(text(page)).toContain('已连续 3 天')
})

test('a tap on a joined challenge opens its calendar; the vouchers button opens the vouchers', async () => {
  const { wx, page } = await open({
    'GET /me/challenges': ok({ items: [challenge('glucose-guard-365', { joined: true, progress: progress() })] }),
  })
  page.querySelector('.joined-0').dispatchEvent('tap')
  await settle()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/challenge/detail/index?id=glucose-guard-365' })
  await tap(page, '.vouchers')
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/challenge/vouchers/index' })
})

test('no challenges, and a failed load, each say so', async () => {
  const empty = await open({ 'GET /me/challenges': ok({ items: [] }) })
  expect(text(empty.page)).toContain('诊所暂时没有可以参加的打卡活动')
  const broken = await open({ 'GET /me/challenges': fail('server', 503) })
  expect(text(broken.page)).toContain('服务暂时不可用')
  expect(broken.page.querySelector('.retry')).toBeTruthy()
})

test("a challenge on one of the clinic's own check-in types reads with its label from GET /me/setup", async () => {
  const { setupReply } = require('./helpers')
  const types = [{ code: 'glucose', label: '血糖', unit: 'mmol/L', input: 'number', low: 1, high: 50, places: 1 },
    { code: 'steps', label: '步数', unit: 'steps', input: 'number', low: 0, high: 100000, places: 0 },
    { code: 'weight', label: '体重', unit: 'kg', input: 'number', low: 20, high: 250, places: 1 }]
  const { page } = await open({
    'GET /me/setup': ok(setupReply({ checkin_types: types })),
    'GET /me/challenges': ok({ items: [
      challenge('weigh-in', { name: '体重管理21天', checkin_type: 'weight', days: 21, grace: 0,
        reward: { type: 'points', points: 30 } }),
      challenge('weigh-joined', { name: '每周称重', checkin_type: 'weight', days: 7, grace: 0,
        reward: { type: 'points', points: 10 }, joined: true,
        progress: progress({ current_streak: 0, streak_start: null, days_to_go: 7, last_day: null }) }),
      challenge('steps-30', { name: '万步走', checkin_type: 'steps', days: 30, grace: 0, reward: { type: 'points', points: 50 } }),
      challenge('bp-14', { name: '血压记录14天', checkin_type: 'blood_pressure', days: 14, grace: 0, reward: { type: 'points', points: 20 } }),
    ] }),
  })
  const shown = text(page)
  expect(shown).toContain('每天记录一次体重，连续 21 天，就能获得30 积分')
  expect(shown).toContain('今天记录一次体重，就开始计算连续天数')
  expect(shown).toContain('每天记录一次微信运动步数') // WeRun keeps its own words
  expect(shown).toContain('每天记录一次血压') // a built-in type the clinic's list left out keeps its words
  expect(shown).not.toContain('每天记录一次打卡')
  expect(shown).not.toMatch(/weight|blood_pressure/)
})

test('without the clinic settings (offline) the built-in types keep their words', async () => {
  const { page } = await open({
    'GET /me/setup': { fail: 'request:fail' },
    'GET /me/challenges': ok({ items: [challenge('glucose-guard-365'),
      challenge('bp-14', { name: '血压记录14天', checkin_type: 'blood_pressure', days: 14, grace: 0, reward: { type: 'points', points: 20 } }),
      challenge('weigh-in', { name: '体重管理21天', checkin_type: 'weight', days: 21, grace: 0, reward: { type: 'points', points: 30 } })] }),
  })
  const shown = text(page)
  expect(shown).toContain('每天记录一次血糖，连续 7 天')
  expect(shown).toContain('每天记录一次血压，连续 14 天')
  expect(shown).toContain('每天记录一次打卡，连续 21 天') // the clinic's own type, unnamed without its settings
  expect(shown).not.toContain('weight')
})
