// The messages tab: recall reminders and content-path items, unread marks, opening a message.
const { fakeApi, installWx, renderPage, settle, text, tap, ok, signIn } = require('./helpers')

const message = (id, title, body, { readAt = null, purpose = 'service' } = {}) => ({ message_id: id, title, body,
  purpose, created_at: '2026-12-05T08:30:00Z', read_at: readAt })

const recall = message('m1', '复诊提醒', '张女士您好，距上次就诊已满30天，本周可来复查。')
const article = message('m2', '第1课：母乳喂养的正确姿势', '正确的衔乳姿势可以减少疼痛。\n仅供参考，不构成医疗诊断',
  { readAt: '2026-12-05T09:00:00Z', purpose: 'marketing' })

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('messages')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('lists recall reminders and health content with their kind, a preview and the unread count', async () => {
  const { page } = await open({ 'GET /me/inbox': ok({ items: [recall, article], unread: 1 }) })
  const shown = text(page)
  expect(shown).toContain('1 条未读')
  expect(shown).toContain('复诊提醒 · ')
  expect(shown).toContain('健康内容 · ')
  expect(shown).toContain('正确的衔乳姿势可以减少疼痛。')
  expect(shown).not.toContain('m1') // no ids shown
  expect(page.querySelectorAll('.unread')).toHaveLength(1)
  expect(page.querySelector('.message-0.unread')).toBeTruthy()
})

test('opening an unread message shows it read at once and opens it in full', async () => {
  const { api, wx, page } = await open({ 'GET /me/inbox': ok({ items: [recall, article], unread: 1 }) })
  await tap(page, '.message-0')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/messages/detail/index?id=m1' })
  expect(text(page)).toContain('全部已读')
  expect(page.querySelectorAll('.unread')).toHaveLength(0)
  // back on the tab, the inbox is read again (the detail page marked it on the server)
  api.on('GET /me/inbox', ok({ items: [{ ...recall, read_at: '2026-12-06T01:00:00Z' }, article], unread: 0 }))
  page.instance.onShow()
  await settle()
  expect(api.called('GET /me/inbox')).toHaveLength(2)
  expect(text(page)).toContain('全部已读')
})

test('opening a message already read goes to it without changing the count', async () => {
  const { wx, page } = await open({ 'GET /me/inbox': ok({ items: [recall, article], unread: 1 }) })
  await tap(page, '.message-1')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/messages/detail/index?id=m2' })
  expect(text(page)).toContain('1 条未读')
})

test('the channel preference is one tap away', async () => {
  const { wx, page } = await open({ 'GET /me/inbox': ok({ items: [recall], unread: 1 }) })
  await tap(page, '.channels')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/messages/channels/index' })
})

test('an empty inbox and an error each say so; retry loads again', async () => {
  const empty = await open({ 'GET /me/inbox': ok({ items: [], unread: 0 }) })
  expect(text(empty.page)).toContain('还没有消息')
  const broken = await open({ 'GET /me/inbox': { fail: 'request:fail timeout' } })
  expect(text(broken.page)).toContain('请求超时了')
  broken.api.on('GET /me/inbox', ok({ items: [recall], unread: 1 }))
  await tap(broken.page, '.retry')
  expect(text(broken.page)).toContain('1 条未读')
})
