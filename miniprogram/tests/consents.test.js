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
  expect(text(page)).toContain('授权说明当前为 v1 版')
  expect(page.querySelectorAll('.purpose')).toHaveLength(3)
  const marketing = block(page, 'marketing')
  expect(marketing).toContain('健康活动与优惠')
  expect(marketing).toContain('向您发送诊所的健康讲座')
  expect(marketing).toMatch(/已同意 · 2026年12月1日 \d\d:30/)
  expect(marketing).toContain('同意的是 v1 版说明（即上面的文字）')
  expect(page.querySelector('.show-agreed-marketing')).toBeFalsy()
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
  expect(block(page, 'marketing')).toContain('这项说明已更新为 v1 版')
  await tap(page, '.grant-marketing')
  expect(api.called('PUT /me/consents')[0].data).toEqual({ consents: { marketing: true }, consent_version: 'v1' })
  expect(block(page, 'marketing')).not.toContain('已更新')
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

// ---- the text agreed to earlier (GET /consent-texts/{version}) ----

const V0 = {
  version: 'v0',
  purposes: [
    { purpose: 'service', title: '诊疗服务（旧）', text: '旧版：用于建档和复诊提醒。', required: true },
    { purpose: 'marketing', title: '活动信息（旧）', text: '旧版：向您发送诊所活动通知。', required: false },
  ],
}
/** Hold the replies of GET /consent-texts/... until `release()`, so the loading state can be seen. */
function holdTexts(wx) {
  const held = []
  const answer = wx.request.getMockImplementation()
  wx.request.mockImplementation((options) => {
    if (!options.url.includes('/consent-texts/')) return answer(options)
    held.push(options)
    return { abort() {} }
  })
  return { release: () => { wx.request.mockImplementation(answer); held.splice(0).forEach((o) => answer(o)) } }
}
const older = (over = {}) => ({ 'GET /me/consents': ok({ consents: consents(over) }) })

test('an older version agreed to: which one and when, a note that a newer text exists, and no code', async () => {
  const { page } = await open(older({
    marketing: { granted: true, version: 'v0', at: '2025-03-04T01:05:00Z' },
    analytics: { granted: false, version: 'withdrawal', at },
  }))
  const marketing = block(page, 'marketing')
  expect(marketing).toMatch(/已同意 · 2025年3月4日 \d\d:05/)
  expect(marketing).toContain('同意的是 v0 版说明（不是当前版本）')
  expect(marketing).toContain('这项说明已更新为 v1 版（上面是新版本的文字）。您之前同意的是 v0 版')
  expect(marketing).toContain('查看当时同意的文本')
  expect(page.querySelector('.grant-marketing')).toBeTruthy()
  expect(marketing).toContain('同意新版本')
  // the purposes agreed under the current version have no link
  expect(page.querySelector('.show-agreed-service')).toBeFalsy()
  // a withdrawn purpose names no agreed version and offers no earlier text
  const analytics = block(page, 'analytics')
  expect(analytics).toContain('已撤回')
  expect(analytics).not.toContain('withdrawal')
  expect(analytics).not.toContain('同意的是')
  expect(page.querySelector('.show-agreed-analytics')).toBeFalsy()
})

test('查看当时同意的文本 reads that version once, shows its text for the purpose, folds and opens again from the page', async () => {
  const { api, wx, page } = await open({
    ...older({ marketing: { granted: true, version: 'v0', at } }),
    'GET /consent-texts/v0': ok(V0),
  })
  expect(api.called('GET /consent-texts/v0')).toHaveLength(0) // nothing read before the patient asks
  const held = holdTexts(wx)
  await tap(page, '.show-agreed-marketing')
  expect(block(page, 'marketing')).toContain('正在读取当时的文本')
  held.release()
  await settle()
  let marketing = block(page, 'marketing')
  expect(marketing).toContain('v0 版（您当时同意的文本）：活动信息（旧）')
  expect(marketing).toContain('旧版：向您发送诊所活动通知。')
  expect(marketing).toContain('向您发送诊所的健康讲座') // the current text stays above it
  expect(marketing).not.toContain('旧版：用于建档') // another purpose's old text is not shown here
  expect(marketing).toContain('收起当时的文本')

  await tap(page, '.show-agreed-marketing')
  expect(page.querySelector('.agreed-marketing')).toBeFalsy()
  expect(block(page, 'marketing')).toContain('查看当时同意的文本')
  await tap(page, '.show-agreed-marketing')
  expect(block(page, 'marketing')).toContain('旧版：向您发送诊所活动通知。')
  expect(api.called('GET /consent-texts/v0')).toHaveLength(1)
})

test('two purposes agreed under the same older version share one read of it', async () => {
  const { api, wx, page } = await open({
    ...older({ service: { granted: true, version: 'v0', at }, marketing: { granted: true, version: 'v0', at } }),
    'GET /consent-texts/v0': ok(V0),
  })
  const held = holdTexts(wx)
  await tap(page, '.show-agreed-service')
  await tap(page, '.show-agreed-marketing')
  expect(block(page, 'service')).toContain('正在读取当时的文本')
  expect(block(page, 'marketing')).toContain('正在读取当时的文本')
  held.release()
  await settle()
  expect(block(page, 'service')).toContain('旧版：用于建档和复诊提醒。')
  expect(block(page, 'marketing')).toContain('旧版：向您发送诊所活动通知。')
  expect(api.called('GET /consent-texts/v0')).toHaveLength(1)
})

test('a text that cannot be read is said in Chinese, with a retry; a failed read is not kept', async () => {
  const { api, page } = await open({
    ...older({ marketing: { granted: true, version: 'v0', at } }),
    'GET /consent-texts/v0': fail('consent_version_not_found', 404, 'version'),
  })
  await tap(page, '.show-agreed-marketing')
  const marketing = block(page, 'marketing')
  expect(marketing).toContain('没有找到这一版的授权说明，请联系诊所')
  expect(marketing).not.toContain('consent_version_not_found')
  expect(marketing).toContain('再试一次')

  api.on('GET /consent-texts/v0', { fail: 'request:fail' })
  await tap(page, '.agreed-retry')
  expect(block(page, 'marketing')).toContain('网络不太顺畅')

  api.on('GET /consent-texts/v0', ok(V0))
  await tap(page, '.agreed-retry')
  expect(block(page, 'marketing')).toContain('旧版：向您发送诊所活动通知。')
  expect(api.called('GET /consent-texts/v0')).toHaveLength(3)
})

test('agreeing to the newer text sends the consent version of setup, and the card then says it is the current one', async () => {
  // the consent texts and the privacy policy carry versions of their own
  const setup = setupReply({ consent: { ...setupReply().consent, version: 'v2' } })
  const { api, page } = await open({
    'GET /me/setup': ok(setup),
    ...older({ marketing: { granted: true, version: 'v1', at } }),
    'PUT /me/consents': ok({ consents: consents({ service: { granted: true, version: 'v2', at }, marketing: { granted: true, version: 'v2', at } }) }),
  })
  expect(text(page)).toContain('授权说明当前为 v2 版')
  expect(block(page, 'marketing')).toContain('您之前同意的是 v1 版')
  await tap(page, '.grant-marketing')
  expect(api.called('PUT /me/consents')[0].data).toEqual({ consents: { marketing: true }, consent_version: 'v2' })
  const marketing = block(page, 'marketing')
  expect(marketing).toContain('同意的是 v2 版说明（即上面的文字）')
  expect(page.querySelector('.show-agreed-marketing')).toBeFalsy()
})
