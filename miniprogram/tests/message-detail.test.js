// packages/messages/detail: one message in full, marked read as it opens.
const { fakeApi, installWx, renderPackagePage, settle, text, tap, ok, fail, signIn, fakeSubscribe } = require('./helpers')

const message = (id, title, body, purpose = 'service') => ({ message_id: id, title, body, purpose,
  created_at: '2026-12-05T08:30:00Z', read_at: '2026-12-06T01:00:00Z' })
const recall = message('m1', '复诊提醒', '张女士您好，距上次就诊已满30天，本周可来复查。')
const audio = message('m2', '产后情绪调适音频', '心理医生为您录制的放松练习，每天10分钟。\n仅供参考，不构成医疗诊断', 'marketing')
const setup = { clinic: { clinic_id: 'demo-dental', name: '示例诊所' }, conditions: [],
  consent: { version: 'v1', purposes: [] }, privacy_policy: { version: 'v1', text: '' },
  subscribe_templates: [{ kind: 'recall', template_id: 'tpl-recall', purpose: 'service', title: '复诊提醒' }] }
const channels = { preferred: null, order: ['wechat', 'inbox', 'sms'], wechat_linked: true, wechat_quota: { 'tpl-recall': 1 },
  templates: { recall: 'tpl-recall' } }

async function open(id, routes, wxExtra = {}) {
  const api = fakeApi({ 'GET /me/setup': ok(setup), ...routes })
  const wx = installWx(api, wxExtra)
  signIn(wx)
  const page = renderPackagePage('messages', 'detail')
  page.instance.onLoad({ id })
  await settle()
  return { api, wx, page }
}

test('a health item shows its text and the notice apart, and is marked read as it opens', async () => {
  const { api, page } = await open('m2', { 'POST /me/inbox/m2/read': ok({ message: audio }) })
  expect(api.called('POST /me/inbox/m2/read')).toHaveLength(1)
  expect(page.querySelector('.body').dom.textContent).toBe('心理医生为您录制的放松练习，每天10分钟。')
  expect(page.querySelector('.notice').dom.textContent).toContain('仅供参考，不构成医疗诊断')
  expect(text(page)).toContain('健康内容')
  expect(page.querySelector('.cta')).toBeFalsy() // no call to action on content
})

test('a recall reminder has its call to action: a WeChat reminder before the visit', async () => {
  const requestSubscribeMessage = fakeSubscribe({ 'tpl-recall': 'accept' })
  const { api, page } = await open('m1', { 'POST /me/inbox/m1/read': ok({ message: recall }),
    'POST /me/subscriptions': ok(channels, 201) }, { requestSubscribeMessage })
  const shown = text(page)
  expect(shown).toContain('距上次就诊已满30天')
  expect(shown).toContain('请与诊所约好时间，按时复诊')
  expect(page.querySelector('.notice')).toBeFalsy()
  await tap(page, '.remind')
  await settle()
  expect(requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tpl-recall'])
  expect(api.called('POST /me/subscriptions').map((c) => c.data)).toEqual([{ template_id: 'tpl-recall', code: 'wx-test' }])
  expect(text(page)).toContain('复诊前会通过微信提醒您')
})

test('a message that is gone, and a network error with its retry', async () => {
  const gone = await open('m9', { 'POST /me/inbox/m9/read': fail('message_not_found', 404) })
  expect(text(gone.page)).toContain('这条消息已经不在了')
  const broken = await open('m1', { 'POST /me/inbox/m1/read': { fail: 'request:fail' } })
  expect(text(broken.page)).toContain('网络不太顺畅')
  broken.api.on('POST /me/inbox/m1/read', ok({ message: recall }))
  await tap(broken.page, '.retry')
  expect(text(broken.page)).toContain('距上次就诊已满30天')
})

test('the back button returns to the list', async () => {
  const { wx, page } = await open('m2', { 'POST /me/inbox/m2/read': ok({ message: audio }) })
  await tap(page, '.back')
  expect(wx.navigateBack).toHaveBeenCalled()
})

const article = { ...message('m3', '湿疹护理小贴士', '春季护肤要点。\n仅供参考，不构成医疗诊断'), kind: 'content', media: 'link',
  link: 'https://media.example-clinic.cn/eczema-care' }
const lesson = { ...message('m4', '康复课第一讲', '跟着音频做十分钟。'), kind: 'content', media: 'audio',
  link: 'https://media.example-clinic.cn/rehab/week1.mp3' }
const inApp = { ...message('m5', '您的检查名额还为您保留', '打开小程序看看您的复诊时间。', 'marketing'), kind: 'content', media: 'link',
  link: 'pages/home/index' }

test('an article step opens its page in the article view', async () => {
  const { wx, page } = await open('m3', { 'POST /me/inbox/m3/read': ok({ message: article }) })
  expect(text(page)).toContain('健康内容')
  await tap(page, '.open')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/messages/article/index?url='
    + encodeURIComponent(article.link) + '&title=' + encodeURIComponent('湿疹护理小贴士') })
})

test('a step linking to a page of the mini-program opens that page', async () => {
  const { wx, page } = await open('m5', { 'POST /me/inbox/m5/read': ok({ message: inApp }) })
  await tap(page, '.open')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/home/index' })
})

test('an audio step plays in the page and pauses on a second tap', async () => {
  const player = { play: jest.fn(), pause: jest.fn(), destroy: jest.fn(), onEnded: jest.fn(), onError: jest.fn(), src: '' }
  const { page } = await open('m4', { 'POST /me/inbox/m4/read': ok({ message: lesson }) },
    { createInnerAudioContext: () => player })
  expect(page.querySelector('.open')).toBeFalsy()
  await tap(page, '.play')
  expect(player.src).toBe(lesson.link)
  expect(player.play).toHaveBeenCalledTimes(1)
  expect(text(page)).toContain('暂停')
  await tap(page, '.play')
  expect(player.pause).toHaveBeenCalledTimes(1)
  expect(text(page)).toContain('播放音频')
})

test('a recall reminder offers 预约复诊, which opens the booking page; other messages do not', async () => {
  const reminded = await open('m1', { 'POST /me/inbox/m1/read': ok({ message: { ...recall, kind: 'reminder', media: null,
    link: 'pages/messages/index' } }) })
  expect(text(reminded.page)).toContain('预约复诊')
  await tap(reminded.page, '.book')
  expect(reminded.wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/booking/slots/index' })
  const content = await open('m3', { 'POST /me/inbox/m3/read': ok({ message: article }) })
  expect(content.page.querySelector('.book')).toBeFalsy()
})

test('a reminder that holds a slot opens the booking page on that slot', async () => {
  const link = 'packages/booking/slots/index?department=dentistry&doctor_id=dr-li&date=2026-12-09&start=0900&offer=1'
  const held = await open('m1', { 'POST /me/inbox/m1/read': ok({ message: { ...recall, kind: 'reminder', media: null,
    link } }) })
  await tap(held.page, '.book')
  expect(held.wx.navigateTo).toHaveBeenCalledWith({ url: `/${link}` })
})
