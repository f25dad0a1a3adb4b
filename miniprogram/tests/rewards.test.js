const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const reward = (id, name, cost, extra = {}) => ({ reward_id: id, name, name_en: null, cost, active: true, stock: null,
  per_patient_limit: null, ...extra })
const CATALOGUE = {
  items: [
    reward('clean', '洗牙一次', 100, { stock: 5, per_patient_limit: 1 }),
    reward('fluoride', '儿童涂氟', 150),
    reward('brush', '电动牙刷', 80, { stock: 0 }),
  ],
}
const points = (balance) => ok({ balance, earned_total: balance, redeemed_total: 0, tier: 'bronze', expiring: [], entries: [],
  next_cursor: null })
const redeemed = ok({
  redemption: { redemption_id: 'r1', reward_id: 'clean', reward_name: '洗牙一次', cost: 100, status: 'issued',
    at: '2026-12-06T01:00:00Z', code: 'ABCD-EFGH' },
  balance: 20,
}, 201)

async function open(routes) {
  const api = fakeApi({ 'GET /rewards': ok(CATALOGUE), 'GET /me/points': points(120), ...routes })
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/points/rewards/index')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

const rewardText = (page, id) => page.querySelector(`.reward-${id}`).dom.textContent.replace(/\s+/g, ' ')
const ORDER = ['clean', 'fluoride', 'brush']
const redeemButton = (page, id) => page.querySelectorAll('.redeem')[ORDER.indexOf(id)]
const isDisabled = (page, id) => redeemButton(page, id).querySelector('.t-button').dom.className.includes('disabled')

async function ask(page, id) {
  redeemButton(page, id).querySelector('.t-button').dispatchEvent('tap')
  await settle()
}

test('the catalogue: name, cost, stock and limits, with the balance', async () => {
  const { page } = await open()
  expect(page.querySelector('.balance').dom.textContent).toBe('120')
  expect(rewardText(page, 'clean')).toContain('洗牙一次')
  expect(rewardText(page, 'clean')).toContain('100 积分')
  expect(rewardText(page, 'clean')).toContain('剩余 5 份 · 每人限兑 1 次')
  expect(rewardText(page, 'fluoride')).not.toContain('剩余')
  expect(isDisabled(page, 'clean')).toBe(false)
})

test('兑换 is disabled with a reason when the balance is short or the stock is gone', async () => {
  const { api, page } = await open()
  expect(isDisabled(page, 'fluoride')).toBe(true)
  expect(rewardText(page, 'fluoride')).toContain('积分不足，还差 30 积分')
  expect(isDisabled(page, 'brush')).toBe(true)
  expect(rewardText(page, 'brush')).toContain('已兑完')
  await ask(page, 'fluoride')
  expect(page.instance.data.dialogVisible).toBe(false)
  expect(api.called('POST /me/redemptions')).toHaveLength(0)
})

test('兑换 asks first, naming the reward and its cost; 再想想 sends nothing', async () => {
  const { api, page } = await open()
  await ask(page, 'clean')
  expect(text(page)).toContain('确认兑换')
  expect(text(page)).toContain('用 100 积分兑换「洗牙一次」？')
  await tap(page, '.dialog-cancel')
  expect(page.instance.data.dialogVisible).toBe(false)
  expect(api.called('POST /me/redemptions')).toHaveLength(0)
})

test('a confirmed redemption sends the reward with an Idempotency-Key and shows the code for the desk', async () => {
  const { api, page } = await open({ 'POST /me/redemptions': redeemed })
  await ask(page, 'clean')
  await tap(page, '.dialog-confirm')
  const sent = api.called('POST /me/redemptions')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ reward_id: 'clean' })
  expect(sent[0].header['Idempotency-Key']).toMatch(/^redeem-/)
  const shown = text(page)
  expect(shown).toContain('兑换成功')
  expect(shown).toContain('已用 100 积分兑换「洗牙一次」')
  expect(page.querySelector('.code').dom.textContent).toBe('ABCD EFGH')
  expect(shown).toContain('剩余积分：20')
  const qr = page.querySelector('.qrcode')
  expect(qr).toBeTruthy()
  expect(qr.instance.data.value).toBe('ABCDEFGH')
})

test('a redeem retried after a network failure re-sends the same Idempotency-Key; the next one gets a new key', async () => {
  let attempts = 0
  const { api, page } = await open({ 'POST /me/redemptions': () => (attempts++ ? redeemed : { fail: 'request:fail' }) })
  await ask(page, 'clean')
  await tap(page, '.dialog-confirm')
  expect(text(page)).toContain('网络不太顺畅')
  expect(page.querySelector('.code')).toBeFalsy()
  await ask(page, 'clean')
  await tap(page, '.dialog-confirm')
  const sent = api.called('POST /me/redemptions')
  expect(sent).toHaveLength(2)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(page.querySelector('.code').dom.textContent).toBe('ABCD EFGH')
  // a new redemption after the success is a new action with a key of its own
  await tap(page, '.back')
  api.on('GET /me/points', points(500))
  await page.instance.load()
  await settle()
  await ask(page, 'clean')
  await tap(page, '.dialog-confirm')
  expect(api.called('POST /me/redemptions')[2].header['Idempotency-Key']).not.toBe(sent[0].header['Idempotency-Key'])
})

test('choosing another reward after a failure is a new action with a new key', async () => {
  const { api, page } = await open({ 'GET /me/points': points(300), 'POST /me/redemptions': { fail: 'request:fail' } })
  await ask(page, 'clean')
  await tap(page, '.dialog-confirm')
  await ask(page, 'fluoride')
  await tap(page, '.dialog-confirm')
  const sent = api.called('POST /me/redemptions')
  expect(sent.map((c) => c.data.reward_id)).toEqual(['clean', 'fluoride'])
  expect(sent[1].header['Idempotency-Key']).not.toBe(sent[0].header['Idempotency-Key'])
})

test.each([
  ['insufficient_points', 409, '积分不足，暂时还不能兑换「洗牙一次」。按时复诊、分享健康内容都能攒积分。'],
  ['out_of_stock', 409, '这个礼品已经兑完了，看看别的礼品吧。'],
  ['reward_limit_reached', 409, '已达到兑换上限：「洗牙一次」每人限兑 1 次，您已经兑换过了。'],
  ['reward_not_found', 404, '礼品不存在或已下架，列表已为您刷新。'],
])('%s is told kindly, in Chinese', async (code, status, words) => {
  const { api, page } = await open({ 'POST /me/redemptions': fail(code, status) })
  await ask(page, 'clean')
  await tap(page, '.dialog-confirm')
  const shown = text(page)
  expect(shown).toContain(words)
  expect(shown).not.toContain(code)
  expect(page.querySelector('.code')).toBeFalsy()
  if (code !== 'reward_limit_reached') expect(api.called('GET /rewards')).toHaveLength(2) // the list is read again
})

test('a balance that changed elsewhere: after insufficient_points the list shows the new balance', async () => {
  let reads = 0
  const { page } = await open({
    'GET /me/points': () => (reads++ ? points(40) : points(120)),
    'POST /me/redemptions': fail('insufficient_points', 409),
  })
  await ask(page, 'clean')
  await tap(page, '.dialog-confirm')
  expect(page.querySelector('.balance').dom.textContent).toBe('40')
  expect(isDisabled(page, 'clean')).toBe(true)
  expect(rewardText(page, 'clean')).toContain('还差 60 积分')
})

test('no rewards yet: a kind empty state', async () => {
  const { page } = await open({ 'GET /rewards': ok({ items: [] }) })
  expect(text(page)).toContain('诊所还没有上架礼品')
  expect(page.querySelectorAll('.redeem')).toHaveLength(0)
})

test('a failed load shows a Chinese message and 重新加载', async () => {
  let calls = 0
  const { page } = await open({ 'GET /rewards': () => (calls++ ? ok(CATALOGUE) : { fail: 'request:fail' }) })
  expect(text(page)).toContain('网络不太顺畅')
  await tap(page, '.retry')
  expect(rewardText(page, 'clean')).toContain('洗牙一次')
})
