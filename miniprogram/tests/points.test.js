const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const entry = (id, points, reason, at = '2026-12-01T02:00:00Z') => ({ entry_id: id, at, points, reason, note: null, staff: null })

const firstPage = {
  balance: 120, earned_total: 340, redeemed_total: 220, tier: 'silver',
  expiring: [{ expires_on: '2027-01-31', points: 30 }, { expires_on: '2027-06-30', points: 90 }],
  entries: [
    entry('e1', 10, 'revisit_on_time'), entry('e2', 5, 'share'), entry('e3', 15, 'referral_registered'),
    entry('e4', -100, 'redemption'), entry('e5', -20, 'expiry'), entry('e6', 3, 'checkin'),
  ],
  next_cursor: 'c2',
}
const secondPage = {
  ...firstPage,
  entries: [entry('e7', 50, 'challenge'), entry('e8', 8, 'adjustment'), entry('e9', 2, 'some_new_rule')],
  next_cursor: null,
}

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/points/index/index')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

const pages = (call) => ok(call.data && call.data.cursor === 'c2' ? secondPage : firstPage)

test('balance, tier, totals and what expires when', async () => {
  const { api, page } = await open({ 'GET /me/points': pages })
  const shown = text(page)
  expect(page.querySelector('.balance').dom.textContent).toBe('120')
  expect(shown).toContain('银卡会员')
  expect(shown).toContain('累计获得 340 积分 · 已兑换 220 积分')
  expect(shown).toContain('30 积分将于 2027年1月31日 到期')
  expect(shown).toContain('90 积分将于 2027年6月30日 到期')
  expect(api.called('GET /me/points')[0].data).toEqual({ limit: 20 })
})

test('each entry says its reason in words, never the rule code', async () => {
  const { page } = await open({ 'GET /me/points': pages })
  const shown = text(page)
  for (const words of ['按时复诊', '分享健康内容', '推荐好友建档', '兑换礼品', '积分到期', '健康打卡']) expect(shown).toContain(words)
  expect(shown).toContain('+10')
  expect(shown).toContain('-100')
  for (const code of ['revisit_on_time', 'referral_registered', 'redemption', 'expiry', 'checkin', 'share ']) {
    expect(shown).not.toContain(code)
  }
  expect(page.querySelectorAll('.entry')).toHaveLength(6)
})

test('加载更多 appends the second page with its cursor, then says there is no more', async () => {
  const { api, page } = await open({ 'GET /me/points': pages })
  expect(text(page)).toContain('加载更多')
  await tap(page, '.more')
  const calls = api.called('GET /me/points')
  expect(calls).toHaveLength(2)
  expect(calls[1].data).toEqual({ limit: 20, cursor: 'c2' })
  expect(page.querySelectorAll('.entry')).toHaveLength(9)
  const shown = text(page)
  expect(shown).toContain('按时复诊') // the first page is still there
  expect(shown).toContain('挑战奖励')
  expect(shown).toContain('诊所调整')
  expect(shown).toContain('获得积分') // an unknown reason still reads as words
  expect(shown).not.toContain('some_new_rule')
  expect(shown).not.toContain('加载更多')
  expect(shown).toContain('没有更多了')
})

test('reaching the bottom loads the next page once', async () => {
  const { api, page } = await open({ 'GET /me/points': pages })
  page.instance.onReachBottom()
  page.instance.onReachBottom() // a second bounce while the first is on its way
  await settle()
  expect(api.called('GET /me/points')).toHaveLength(2)
  expect(page.querySelectorAll('.entry')).toHaveLength(9)
  page.instance.onReachBottom() // no cursor left
  await settle()
  expect(api.called('GET /me/points')).toHaveLength(2)
})

test('a failed next page keeps what is shown and offers to try again', async () => {
  let second = 0
  const { page } = await open({
    'GET /me/points': (call) => (call.data.cursor ? (second++ ? ok(secondPage) : { fail: 'request:fail' }) : ok(firstPage)),
  })
  await tap(page, '.more')
  expect(text(page)).toContain('网络不太顺畅')
  expect(text(page)).toContain('再试一次')
  expect(page.querySelectorAll('.entry')).toHaveLength(6)
  await tap(page, '.more')
  expect(page.querySelectorAll('.entry')).toHaveLength(9)
  expect(text(page)).not.toContain('网络不太顺畅')
})

test('no points yet: a kind empty state that says how to earn them', async () => {
  const { page } = await open({
    'GET /me/points': ok({ balance: 0, earned_total: 0, redeemed_total: 0, tier: 'bronze', expiring: [], entries: [], next_cursor: null }),
  })
  const shown = text(page)
  expect(shown).toContain('还没有积分记录')
  expect(shown).toContain('按时复诊')
  expect(shown).toContain('暂时没有要到期的积分')
  expect(shown).toContain('铜卡会员')
  expect(shown).not.toContain('加载更多')
  expect(shown).not.toContain('没有更多了')
})

test('an error shows a Chinese message and 重新加载 loads again', async () => {
  let calls = 0
  const { api, page } = await open({ 'GET /me/points': () => (calls++ ? ok(firstPage) : fail('server', 503)) })
  expect(text(page)).toContain('服务暂时不可用')
  await tap(page, '.retry')
  expect(api.called('GET /me/points')).toHaveLength(2)
  expect(page.querySelector('.balance').dom.textContent).toBe('120')
})

test('a lost session goes back to the launch page', async () => {
  const { wx } = await open({ 'GET /me/points': fail('invalid_token', 401) })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' })
})

test('the buttons open the rewards and my redemptions', async () => {
  const { wx, page } = await open({ 'GET /me/points': pages })
  await tap(page, '.to-rewards')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/points/rewards/index' })
  await tap(page, '.to-redemptions')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/points/redemptions/index' })
})
