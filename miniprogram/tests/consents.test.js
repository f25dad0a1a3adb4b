// 我的授权 (packages/me/consents).
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn, setupReply } = require('./helpers')

const at = '2026-12-01T02:30:00Z'
const consents = (over = {}) => ({
  service: { granted: true, version: 'v1', at },
  marketing: { granted: true, version: 'v1', at },
  analytics: null,
  ...over,
})

async function open(routes = {}, { confirm = true } = {}) {
  const api = fakeApi({ 'GET /me/setup': ok(setupReply()), 'GET /me/consents': ok({ consents: consents() }), ...routes })
  const showModal = jest.fn((options) => setTimeout(() => options.success({ confirm, cancel: !confirm }), 0))
  const wx = installWx(api, { showModal })
  signIn(wx)
  const page = renderAt('packages/me/consents')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

const block = (page, purpose) => page.querySelector(`.purpose-${purpose}`).dom.textContent.replace(/\s+/g, ' ')

test('each purpose on its own, with its title and text from setup, its state, when, and the policy version', async () => {
  const { page } = await open()
  expect(text(page)).toContain('当前隐私政策版本 v1')
  expect(page.querySelectorAll('.purpose')).toHaveLength(3)
  const marketing = block(page, 'marketing')
  expect(marketing).toContain('健康活动与优惠')
  expect(marketing).toContain('向您发送诊所的健康讲座')
  expect(marketing).toMatch(/已同意 · 12月1日 \d\d:30/)
  expect(marketing).toContain('按政策版本 v1')
  expect(block(page, 'analytics')).toContain('尚未选择')
  expect(page.querySelector('.grant-analytics')).toBeTruthy()
  expect(page.querySelector('.withdraw-analytics')).toBeFalsy()
  expect(page.querySelector('.grant-marketing')).toBeFalsy()
  expect(page.querySelector('.withdraw-marketing')).toBeTruthy()
})

test('granting sends PUT /me/consents for that purpose only, with the current version', async () => {
  const { api, page } = await open({
    'PUT /me/consents': ok({ consents: consents({ analytics: { granted: true, version: 'v1', at } }) }),
  })
  await tap(page, '.grant-analytics')
  const sent = api.called('PUT /me/consents')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ consents: { analytics: true }, consent_version: 'v1' })
  expect(block(page, 'analytics')).toContain('已同意')
  expect(page.querySelector('.withdraw-analytics')).toBeTruthy()
})

test('withdrawing marketing says the messages stop, then POSTs the withdrawal', async () => {
  const { api, wx, page } = await open({
    'POST /me/consents/withdraw': ok({ consents: consents({ marketing: { granted: false, version: 'withdrawal', at } }) }),
  })
  await tap(page, '.withdraw-marketing')
  await settle()
  const asked = wx.showModal.mock.calls[0][0]
  expect(asked.title).toContain('健康活动与优惠')
  expect(asked.content).toContain('不再给您发送健康活动和优惠信息')
  const sent = api.called('POST /me/consents/withdraw')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ purposes: ['marketing'] })
  expect(block(page, 'marketing')).toContain('已撤回')
  expect(page.querySelector('.grant-marketing')).toBeTruthy()
})

test('withdrawing the service consent explains the record is kept for care and how to delete the account', async () => {
  const { api, wx, page } = await open({}, { confirm: false })
  await tap(page, '.withdraw-service')
  await settle()
  const { content } = wx.showModal.mock.calls[0][0]
  expect(content).toContain('已有的就诊和健康记录会按规定继续保存')
  expect(content).toContain('注销账号')
  expect(api.called('POST /me/consents/withdraw')).toHaveLength(0)
})

test('a consent given under an older version asks to agree to the current one', async () => {
  const { api, page } = await open({
    'GET /me/consents': ok({ consents: consents({ marketing: { granted: true, version: 'v0', at } }) }),
    'PUT /me/consents': ok({ consents: consents() }),
  })
  expect(block(page, 'marketing')).toContain('政策已更新到 v1')
  await tap(page, '.grant-marketing')
  expect(api.called('PUT /me/consents')[0].data).toEqual({ consents: { marketing: true }, consent_version: 'v1' })
  expect(block(page, 'marketing')).not.toContain('政策已更新')
})

test('a failed change is said in Chinese; a failed load offers a retry', async () => {
  const { page } = await open({ 'PUT /me/consents': fail('try_again', 409) })
  await tap(page, '.grant-analytics')
  expect(page.querySelector('.action-error').dom.textContent).toContain('人有点多')
  expect(block(page, 'analytics')).toContain('尚未选择')

  const second = await open({ 'GET /me/consents': { fail: 'request:fail' } })
  expect(text(second.page)).toContain('网络不太顺畅')
  second.api.on('GET /me/consents', ok({ consents: consents() }))
  await tap(second.page, '.retry')
  expect(second.page.querySelectorAll('.purpose')).toHaveLength(3)
})
