const { fakeApi, installWx, renderPage, settle, text, ok, setupReply, signIn } = require('./helpers')

test('shows the policy from GET /me/setup in its sections, with its version', async () => {
  const api = fakeApi({ 'GET /me/setup': ok(setupReply()) })
  signIn(installWx(api), { registered: false })
  const page = renderPage('privacy')
  expect(text(page)).toContain('加载中')
  page.instance.onLoad()
  await settle()
  expect(api.called('GET /me/setup')).toHaveLength(1)
  const shown = text(page)
  expect(shown).toContain('版本 v1')
  expect(shown).toContain('一、我们收集哪些信息')
  expect(shown).toContain('每项可以分别同意或撤回')
  expect(page.querySelectorAll('.section')).toHaveLength(3)
})

test('an empty policy says so', async () => {
  signIn(installWx(fakeApi({ 'GET /me/setup': ok(setupReply({ privacy_policy: { version: 'v2', text: '' } })) })), { registered: false })
  const page = renderPage('privacy')
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('暂时没有政策内容')
})

test('a failed load offers a retry', async () => {
  let calls = 0
  const api = fakeApi({ 'GET /me/setup': () => (calls++ === 0 ? { fail: 'request:fail' } : ok(setupReply())) })
  signIn(installWx(api), { registered: false })
  const page = renderPage('privacy')
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('网络不太顺畅')
  page.instance.load()
  await settle()
  expect(api.called('GET /me/setup')).toHaveLength(2)
  expect(text(page)).toContain('我们收集哪些信息')
})
