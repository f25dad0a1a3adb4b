const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const redemption = (id, name, status, code, extra = {}) => ({
  redemption_id: id, reward_id: `rw-${id}`, reward_name: name, cost: 100, status, code,
  redeemed_at: '2026-12-01T02:30:00Z', fulfilled_at: null, ...extra,
})
const first = {
  items: [
    redemption('r3', '洗牙一次', 'pending', 'ABCD-EFGH'),
    redemption('r2', '儿童涂氟', 'fulfilled', 'JKMN-PQRS', { fulfilled_at: '2026-12-03T06:05:00Z' }),
  ],
  next_cursor: 'n2',
}
const second = { items: [redemption('r1', '电动牙刷', 'pending', 'TUVW-XY23')], next_cursor: null }

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/points/redemptions/index')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}
const pages = (call) => ok(call.data && call.data.cursor === 'n2' ? second : first)
const card = (page, id) => page.querySelector(`.redemption-${id}`).dom.textContent.replace(/\s+/g, ' ')

test('each redemption: its code grouped to read aloud, 待使用 / 已使用 and dates', async () => {
  const { api, page } = await open({ 'GET /me/redemptions': pages })
  expect(api.called('GET /me/redemptions')[0].data).toEqual({ limit: 20 })
  expect(card(page, 'r3')).toContain('洗牙一次')
  expect(card(page, 'r3')).toContain('待使用')
  expect(card(page, 'r3')).toContain('ABCD EFGH')
  expect(card(page, 'r3')).toContain('使用 100 积分')
  expect(card(page, 'r3')).toContain('兑换时间：2026年12月1日 02:30')
  expect(card(page, 'r3')).not.toContain('领取时间')
  expect(card(page, 'r2')).toContain('已使用')
  expect(card(page, 'r2')).toContain('JKMN PQRS')
  expect(card(page, 'r2')).toContain('领取时间：2026年12月3日 06:05')
  const shown = text(page)
  expect(shown).not.toContain('pending')
  expect(shown).not.toContain('fulfilled')
  expect(shown).not.toContain('r3')
})

test('the newest one still to collect shows its QR code for the desk; a used one has none', async () => {
  const { page } = await open({ 'GET /me/redemptions': pages })
  const codes = page.querySelectorAll('.qrcode')
  expect(codes).toHaveLength(1)
  expect(codes[0].instance.data.value).toBe('ABCDEFGH')
  expect(text(page)).toContain('收起二维码')
})

test('加载更多 appends the next page with its cursor; its QR code opens on a tap', async () => {
  const { api, page } = await open({ 'GET /me/redemptions': pages })
  await tap(page, '.more')
  const calls = api.called('GET /me/redemptions')
  expect(calls).toHaveLength(2)
  expect(calls[1].data).toEqual({ limit: 20, cursor: 'n2' })
  expect(page.querySelectorAll('.redemption')).toHaveLength(3)
  expect(card(page, 'r1')).toContain('TUVW XY23')
  expect(card(page, 'r3')).toContain('ABCD EFGH')
  expect(text(page)).toContain('没有更多了')
  expect(text(page)).not.toContain('加载更多')
  expect(page.querySelectorAll('.qrcode')).toHaveLength(1)
  page.querySelectorAll('.toggle')[1].dispatchEvent('tap')
  await settle()
  const codes = page.querySelectorAll('.qrcode')
  expect(codes).toHaveLength(2)
  expect(codes[1].instance.data.value).toBe('TUVWXY23')
})

test('reaching the bottom loads the next page once', async () => {
  const { api, page } = await open({ 'GET /me/redemptions': pages })
  page.instance.onReachBottom()
  page.instance.onReachBottom()
  await settle()
  expect(api.called('GET /me/redemptions')).toHaveLength(2)
  expect(page.querySelectorAll('.redemption')).toHaveLength(3)
})

test('nothing redeemed yet: a kind empty state that leads to the rewards', async () => {
  const { wx, page } = await open({ 'GET /me/redemptions': ok({ items: [], next_cursor: null }) })
  expect(text(page)).toContain('还没有兑换过礼品')
  expect(page.querySelectorAll('.qrcode')).toHaveLength(0)
  await tap(page, '.to-rewards')
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/packages/points/rewards/index' })
})

test('a failed load shows a Chinese message and 重新加载', async () => {
  let calls = 0
  const { page } = await open({ 'GET /me/redemptions': () => (calls++ ? ok(first) : fail('server', 500)) })
  expect(text(page)).toContain('服务暂时不可用')
  await tap(page, '.retry')
  expect(card(page, 'r3')).toContain('ABCD EFGH')
})
