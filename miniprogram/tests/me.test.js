// The 我的 tab.
const { fakeApi, installWx, renderPage, settle, text, tap, ok, fail, signIn } = require('./helpers')

const patient = (over = {}) => ({ patient_id: 'p1', name: '王芳', phone: '13800001234', birth_year: null, sex: null,
  district: null, conditions: [], department: null, persona_tags: [], balance: 88, earned_total: 88,
  created_at: '2026-01-01T00:00:00Z', last_visit_date: null, revisit_due_date: null, nickname: null,
  phone_verified: false, next_booking_date: null, ...over })

async function open(routes, extra) {
  const api = fakeApi(routes)
  const wx = installWx(api, extra)
  signIn(wx)
  const page = renderPage('me')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('shows the name masked, the phone masked and the points, never the full name or number', async () => {
  const { page } = await open({ 'GET /me': ok({ patient: patient() }) })
  const shown = text(page)
  expect(page.querySelector('.card .name').dom.textContent).toBe('王*')
  expect(shown).not.toContain('王芳')
  expect(shown).toContain('138****1234')
  expect(shown).not.toContain('13800001234')
  expect(page.querySelector('.balance').dom.textContent).toBe('88')
  expect(page.querySelector('.verified')).toBeFalsy()
})

test('a nickname is shown instead of the name, with the verified-phone mark', async () => {
  const { page } = await open({ 'GET /me': ok({ patient: patient({ nickname: '芳姐', phone_verified: true }) }) })
  expect(page.querySelector('.card .name').dom.textContent).toBe('芳姐')
  expect(text(page)).toContain('已通过微信验证')
})

test('every entry opens its page', async () => {
  const { wx, page } = await open({ 'GET /me': ok({ patient: patient() }) })
  const expected = {
    '.entry-profile': '/packages/me/profile/index',
    '.entry-consents': '/packages/me/consents/index',
    '.entry-export': '/packages/me/data/index?part=export',
    '.entry-delete': '/packages/me/data/index?part=delete',
    '.entry-tasks': '/packages/me/tasks/index',
    '.entry-board': '/packages/me/board/index',
    '.entry-points': '/packages/points/index/index',
    '.entry-challenges': '/pages/challenges/index',
    '.entry-channels': '/packages/messages/channels/index',
    '.entry-invite': '/packages/invite/index/index',
    '.entry-packages': '/packages/invite/packages/index',
    '.privacy': '/pages/privacy/index',
    '.about': '/packages/more/about/index',
  }
  for (const [selector, url] of Object.entries(expected)) {
    wx.navigateTo.mockClear()
    await tap(page, selector)
    expect(wx.navigateTo).toHaveBeenCalledWith({ url })
  }
  const shown = text(page)
  for (const label of ['编辑资料', '我的授权', '导出我的数据', '注销账号', '关怀模式', '任务与徽章', '本月榜单',
    '隐私政策', '关于', '积分', '打卡活动', '消息设置', '邀请好友', '我的套餐']) expect(shown).toContain(label)
})

test('the care switch follows the system font size until chosen, and the page changes at once', async () => {
  const big = { fontSizeSetting: 22 }
  const { wx, page } = await open({ 'GET /me': ok({ patient: patient() }) }, { getAppBaseInfo: () => big })
  expect(page.querySelector('.me').dom.className).toContain('care')
  expect(text(page)).toContain('跟随微信字体大小')
  await tap(page, '.care-switch', '.t-switch')
  expect(wx.storage.get('care_mode')).toBe('off')
  expect(page.querySelector('.me').dom.className).not.toContain('care')
  expect(text(page)).not.toContain('跟随微信字体大小')
  await tap(page, '.care-switch', '.t-switch')
  expect(wx.storage.get('care_mode')).toBe('on')
  expect(page.querySelector('.me').dom.className).toContain('care')
})

test('coming back to the tab reloads the record quietly (a nickname just saved shows)', async () => {
  let nickname = null
  const { api, page } = await open({ 'GET /me': () => ok({ patient: patient({ nickname }) }) })
  nickname = '小芳'
  page.instance.onShow()
  await settle()
  expect(api.called('GET /me')).toHaveLength(2)
  expect(page.querySelector('.card .name').dom.textContent).toBe('小芳')
})

test('an error offers a retry that loads again', async () => {
  let first = true
  const { api, page } = await open({ 'GET /me': () => (first ? (first = false, fail('try_again', 409)) : ok({ patient: patient() })) })
  expect(text(page)).toContain('人有点多')
  await tap(page, '.retry')
  expect(api.called('GET /me')).toHaveLength(2)
  expect(text(page)).toContain('138****1234')
})

test('我的预约: the next booked visit, and the entry opens the bookings', async () => {
  const { wx, page } = await open({ 'GET /me': ok({ patient: patient({ next_booking_date: '2026-12-09' }) }) })
  expect(page.querySelector('.entry-appointments')).toBeTruthy()
  expect(text(page)).toContain('我的预约')
  expect(text(page)).toContain('下次就诊：12月9日')
  await tap(page, '.entry-appointments')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/booking/mine/index' })
  const none = await open({ 'GET /me': ok({ patient: patient() }) })
  expect(text(none.page)).toContain('预约复诊，查看、改约或取消')
})

test('我的家庭: the entry opens the household page', async () => {
  const { wx, page } = await open({ 'GET /me': ok({ patient: patient() }) })
  expect(text(page)).toContain('我的家庭')
  await tap(page, '.entry-family')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/family/index' })
})
