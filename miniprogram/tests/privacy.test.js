const { fakeApi, installWx, renderPage, settle, text, ok, signIn, sunnySetupReply: setupReply } = require('./helpers')


function open(api) {
  const wx = installWx(api)
  signIn(wx, { registered: false })
  const page = renderPage('privacy')
  return page
}

test('shows the policy text from GET /me/setup, cut into its sections, with its version', async () => {
  const page = open(fakeApi({ 'GET /me/setup': ok(setupReply()) }))
  expect(text(page)).toContain('加载中')
  page.instance.onLoad()
  await settle()
  const shown = text(page)
  expect(shown).toContain('版本 v3')
  expect(shown).toContain('一、我们收集的信息')
  expect(shown).toContain('每项可以分别同意或撤回')
  expect(page.querySelectorAll('.section')).toHaveLength(3)
})

test('an empty policy says so', async () => {
  const page = open(fakeApi({ 'GET /me/setup': ok(setupReply({ privacy_policy: { version: 'v2', text: '' } })) }))
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('暂时没有政策内容')
})

test('a failed load offers a retry', async () => {
  const api = fakeApi({ 'GET /me/setup': { fail: 'request:fail' } })
  const page = open(api)
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('网络不太顺畅')
  api.on('GET /me/setup', ok(setupReply()))
  page.instance.load()
  await settle()
  expect(api.called('GET /me/setup')).toHaveLength(2)
  expect(text(page)).toContain('我们收集的信息')
})
