// 我的奖励券 (packages/challenge/vouchers): codes grouped for reading aloud, a QR code for the desk, validity, status.
const { fakeApi, installWx, renderAt, settle, text, ok, fail, signIn } = require('./helpers')

const voucher = (id, code, status, overrides = {}) => ({ voucher_id: id, code, kind: 'glucose-test',
  name: '免费血糖检测券', name_en: 'Free glucose test', status, issued_at: '2026-12-01T02:00:00Z',
  valid_until: '2026-12-30', expires_at: '2026-12-30T16:00:00Z', redeemed_at: null, source: 'challenge', ...overrides })

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/challenge/vouchers/index')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('a usable voucher shows its code in groups of four, a QR code of it, its validity and status', async () => {
  const { page } = await open({
    'GET /me/vouchers': ok({ items: [
      voucher('v3', 'WXYZ-2345', 'redeemed', { redeemed_at: '2026-11-20T03:00:00Z', valid_until: '2026-12-10' }),
      voucher('v2', 'ABCD-EFGH', 'issued'),
      voucher('v1', 'MNPQ-RSTU', 'expired', { valid_until: '2026-11-01' }),
    ] }),
  })
  const cards = page.querySelectorAll('.voucher')
  expect(cards).toHaveLength(3)
  // The usable one comes first.
  const first = page.querySelector('.voucher-0')
  // (the simulator prefixes a page's own classes: "main--group")
  const groups = [...first.dom.querySelectorAll('[class*="--group"]')].map((g) => g.textContent)
  expect(groups).toEqual(['ABCD', 'EFGH'])
  expect(first.dom.textContent).toContain('可使用')
  expect(first.dom.textContent).toContain('有效期至 2026年12月30日')
  // t-qrcode renders with the code as its value and its <canvas>; the simulator has no 2D canvas
  // context, so the modules themselves are drawn only in DevTools and on phones.
  const qr = page.querySelector('.qrcode')
  expect(qr).toBeTruthy()
  expect(qr.instance.data.value).toBe('ABCD-EFGH')
  expect(first.dom.querySelector('wx-canvas')).toBeTruthy()
  expect(page.querySelectorAll('.qrcode')).toHaveLength(1)

  const used = page.querySelector('.voucher-1')
  expect(used.dom.textContent).toContain('已使用')
  expect(used.dom.textContent).toContain('已于 2026年11月20日 使用')
  expect(used.dom.querySelector('wx-canvas')).toBeFalsy() // no QR for a voucher the desk cannot take
  const expired = page.querySelector('.voucher-2')
  expect(expired.dom.textContent).toContain('已过期')
  expect(expired.dom.textContent).toContain('有效期到 2026年11月1日，已过期')

  const shown = text(page)
  expect(shown).toContain('出示二维码给工作人员扫一扫，或者把券码读给工作人员听')
  expect(shown).not.toMatch(/issued|redeemed|expired|glucose-test|v2/)
})

test('no vouchers yet, and a failed load, each say so', async () => {
  const empty = await open({ 'GET /me/vouchers': ok({ items: [] }) })
  expect(text(empty.page)).toContain('还没有奖励券')
  const broken = await open({ 'GET /me/vouchers': fail('token_expired', 401) })
  expect(broken.wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' })
  const down = await open({ 'GET /me/vouchers': fail('server', 502) })
  expect(text(down.page)).toContain('服务暂时不可用')
  expect(down.page.querySelector('.retry')).toBeTruthy()
})
