// The messages tab.
const { fakeApi, installWx, renderPage, settle, text, tap, ok, fail, signIn } = require('./helpers')

const message = (id, title, readAt = null) => ({ message_id: id, title, body: `${title}的正文`, purpose: 'service',
  created_at: '2026-12-05T08:30:00Z', read_at: readAt })

async function open(name, routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage(name)
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('messages: lists the inbox; opening an unread one shows it and marks it read', async () => {
  const { api, page } = await open('messages', {
    'GET /me/inbox': ok({ items: [message('m1', '复诊提醒'), message('m2', '活动通知', '2026-12-05T09:00:00Z')], unread: 1 }),
    'POST /me/inbox/m1/read': ok({ message: message('m1', '复诊提醒', '2026-12-06T01:00:00Z') }),
  })
  expect(text(page)).toContain('1 条未读')
  expect(page.querySelectorAll('.unread')).toHaveLength(1)
  await tap(page, '.message-0')
  expect(api.called('POST /me/inbox/m1/read')).toHaveLength(1)
  expect(text(page)).toContain('复诊提醒的正文')
  expect(text(page)).toContain('全部已读')
  await tap(page, '.message-1') // already read: opened, not sent again
  expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(1)
})

test('messages: an empty inbox and an error each say so', async () => {
  const empty = await open('messages', { 'GET /me/inbox': ok({ items: [], unread: 0 }) })
  expect(text(empty.page)).toContain('还没有消息')
  const broken = await open('messages', { 'GET /me/inbox': { fail: 'request:fail timeout' } })
  expect(text(broken.page)).toContain('请求超时了')
})
