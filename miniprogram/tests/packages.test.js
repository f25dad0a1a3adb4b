const { fakeApi, installWx, renderAt, settle, text, tap, ok, signIn } = require('./helpers')

const day = (offset) => {
  const d = new Date()
  d.setDate(d.getDate() + offset)
  const pad = (n) => (n < 10 ? `0${n}` : `${n}`)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}
const item = (overrides) => ({ sale_id: 's1', package_id: 'pk1', name: '家庭洁牙卡', name_en: null, term_months: 12,
  start_date: day(-300), end_date: day(65), renewal_of: null, renewed_by: null, renewed_on: null, state: 'active', ...overrides })

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/invite/packages')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('each package with its name, term, days left and renewal state; active first', async () => {
  const { page } = await open({ 'GET /me/packages': ok({ items: [
    item({ sale_id: 's0', name: '控糖年卡', start_date: '2024-01-01', end_date: '2024-12-31', state: 'ended', renewed_by: 's9' }),
    item({}),
    item({ sale_id: 's2', name: '产后康复套餐', end_date: day(10), renewal_of: 's-old' }),
  ] }) })
  const names = page.querySelectorAll('.package-name').map((n) => n.dom.textContent)
  expect(names).toEqual(['家庭洁牙卡', '产后康复套餐', '控糖年卡'])
  const shown = text(page)
  expect(shown).toContain('还剩 65 天')
  expect(shown).toContain('还剩 10 天')
  expect(shown).toContain('快到期了，可以到前台续费')
  expect(shown).toContain('续费套餐')
  expect(shown).toContain('有效期：2024年1月1日 至 2024年12月31日')
  expect(shown).toContain('已到期')
  expect(shown).toContain('已续费')
  expect(shown).not.toContain('s-old')
})

test('an upcoming package says when it starts', async () => {
  const { page } = await open({ 'GET /me/packages': ok({ items: [item({ start_date: '2030-02-01', end_date: '2031-01-31', state: 'upcoming' })] }) })
  expect(text(page)).toContain('2030年2月1日开始')
})

test('no packages: a kind empty state', async () => {
  const { page } = await open({ 'GET /me/packages': ok({ items: [] }) })
  expect(text(page)).toContain('您还没有会员套餐')
})

test('a failed load offers a retry', async () => {
  const { api, page } = await open({ 'GET /me/packages': { status: 502, body: null } })
  expect(text(page)).toContain('服务暂时不可用')
  api.on('GET /me/packages', ok({ items: [item({})] }))
  await tap(page, '.retry')
  expect(text(page)).toContain('家庭洁牙卡')
})
