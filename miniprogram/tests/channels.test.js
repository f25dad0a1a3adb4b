// packages/messages/channels: the preferred channel (GET/PUT /me/channels).
const { fakeApi, installWx, renderPackagePage, settle, text, tap, ok, fail, signIn } = require('./helpers')

const reply = (preferred, order, quota = {}) => ({ preferred, order, wechat_linked: true, wechat_quota: quota,
  templates: { recall: 'tpl-recall' } })

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderPackagePage('messages', 'channels')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('shows the current choice and order in words, and whether WeChat reminders are on', async () => {
  const { page } = await open({ 'GET /me/channels': ok(reply(null, ['wechat', 'inbox', 'sms'])) })
  const shown = text(page)
  expect(shown).toContain('由诊所安排')
  expect(shown).toContain('现在的顺序：微信 → 小程序消息 → 短信')
  expect(shown).toContain('微信提醒还没有开启')
  expect(page.data.chosen).toBe('default')
})

test('choosing SMS sends it, and the default sends null', async () => {
  const { api, wx, page } = await open({
    'GET /me/channels': ok(reply(null, ['wechat', 'inbox', 'sms'], { 'tpl-recall': 2 })),
    'PUT /me/channels': (call) => ok(reply(call.data.preferred,
      call.data.preferred === 'sms' ? ['sms', 'wechat', 'inbox'] : ['wechat', 'inbox', 'sms'])),
  })
  expect(text(page)).toContain('微信提醒已开启')
  await tap(page, '.choice-sms', '.t-radio')
  await tap(page, '.save')
  expect(api.called('PUT /me/channels').map((c) => c.data)).toEqual([{ preferred: 'sms' }])
  expect(text(page)).toContain('现在的顺序：短信 → 微信 → 小程序消息')
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已保存' }))
  await tap(page, '.choice-default', '.t-radio')
  await tap(page, '.save')
  expect(api.called('PUT /me/channels')[1].data).toEqual({ preferred: null })
})

test('a failed save says so in Chinese; a failed load offers a retry', async () => {
  const { page } = await open({ 'GET /me/channels': ok(reply(null, ['wechat', 'inbox', 'sms'])),
    'PUT /me/channels': fail('invalid_input', 400, 'preferred') })
  await tap(page, '.choice-inbox', '.t-radio')
  await tap(page, '.save')
  expect(text(page)).toContain('填写的内容有误')
  const broken = await open({ 'GET /me/channels': { fail: 'request:fail timeout' } })
  expect(text(broken.page)).toContain('请求超时了')
  broken.api.on('GET /me/channels', ok(reply('inbox', ['inbox', 'wechat', 'sms'])))
  await tap(broken.page, '.retry')
  expect(text(broken.page)).toContain('现在的顺序：小程序消息 → 微信 → 短信')
})
