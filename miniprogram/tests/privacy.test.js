const { fakeApi, installWx, renderPage, settle, text, ok, signIn } = require('./helpers')

// GET /me/setup as the API answers it, for this clinic (overrides replace top-level fields).
function setupReply(overrides = {}) {
  return {
    clinic: { clinic_id: 'demo-dental', name: '阳光口腔' },
    conditions: [{ condition: 'diabetes', label: '糖尿病' }, { condition: 'dental', label: '口腔' }],
    consent: {
      version: 'v3',
      purposes: [
        { purpose: 'service', title: '诊疗服务', text: '用于建档和复诊提醒。', required: true },
        { purpose: 'marketing', title: '健康活动与优惠', text: '向您发送诊所的健康讲座和活动。', required: false },
        { purpose: 'analytics', title: '服务改进', text: '去除身份信息后统计服务效果。', required: false },
      ],
    },
    privacy_policy: { version: 'v3', text: '隐私政策\n\n开头的说明。\n\n一、我们收集的信息\n姓名和手机号。\n\n二、我们如何使用\n每项可以分别同意或撤回。\n' },
    subscribe_templates: [],
    ...overrides,
  }
}

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
