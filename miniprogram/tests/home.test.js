const { fakeApi, installWx, renderPage, settle, text, tap, ok, fail, signIn } = require('./helpers')

const me = { patient: { patient_id: 'p1', name: '王芳', phone: '13800000000', birth_year: 1965, sex: null, district: null,
  conditions: ['diabetes'], department: null, persona_tags: [], balance: 120, earned_total: 150,
  created_at: '2026-01-01T00:00:00Z', last_visit_date: null, revisit_due_date: '2026-12-20' } }
const progress = (current) => ({ joined_on: '2026-11-01', current_streak: current, streak_start: '2026-11-30', grace_used: 0,
  days_to_go: 7 - current, last_day: '2026-12-06', best_streak: current, streaks_completed: 0, rewards: [] })
const challenge = (id, current) => ({ challenge_id: id, name: '控糖打卡', name_en: null, checkin_type: 'glucose', days: 7,
  grace: 1, reward: {}, start_date: '2026-11-01', end_date: '2027-01-01', joined: current !== null, open: true,
  progress: current === null ? null : progress(current) })
const message = (id, title) => ({ message_id: id, title, body: '正文', purpose: 'service',
  created_at: '2026-12-05T08:30:00Z', read_at: null })

function routes(overrides = {}) {
  return {
    'GET /me': ok(me),
    'GET /me/challenges': ok({ items: [challenge('c1', 3), challenge('c2', 5), challenge('c3', null)] }),
    'GET /me/inbox': ok({ items: [message('m1', '复诊提醒'), message('m2', '血糖小知识')], unread: 2 }),
    ...overrides,
  }
}

async function open(api) {
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('home')
  page.instance.onLoad()
  await settle()
  return { wx, page }
}

test('shows points, the longest current streak, unread count and the newest messages', async () => {
  const { page } = await open(fakeApi(routes()))
  expect(page.querySelector('.balance').dom.textContent).toContain('120')
  expect(page.querySelector('.streak').dom.textContent).toContain('5')
  expect(page.querySelector('.unread').dom.textContent).toContain('2')
  const shown = text(page)
  expect(shown).toContain('王芳，您好')
  expect(shown).toContain('复诊提醒')
  expect(shown).toContain('下次复诊：2026-12-20')
  expect(page.querySelectorAll('.message')).toHaveLength(2)
})

test('no messages and no challenge: streak 0 and a kind empty note', async () => {
  const { page } = await open(fakeApi(routes({
    'GET /me/challenges': ok({ items: [] }), 'GET /me/inbox': ok({ items: [], unread: 0 }) })))
  expect(page.querySelector('.streak').dom.textContent).toContain('0')
  expect(text(page)).toContain('还没有消息')
})

test('an expired token is refreshed once and the page still loads', async () => {
  let meCalls = 0
  const api = fakeApi(routes({
    'GET /me': () => (meCalls++ === 0 ? fail('token_expired', 401) : ok(me)),
    'POST /auth/refresh': ok({ access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 3600, patient_id: 'p1', registered: true }),
  }))
  const { wx, page } = await open(api)
  expect(api.called('POST /auth/refresh')).toHaveLength(1)
  expect(api.called('POST /auth/refresh')[0].data).toEqual({ refresh_token: 'refresh-1' })
  expect(api.called('GET /me')[1].header.Authorization).toBe('Bearer access-2')
  expect(wx.storage.get('revisit.session').access_token).toBe('access-2')
  expect(text(page)).toContain('王芳，您好')
})

test('a refresh that fails sends the patient back to sign in', async () => {
  const api = fakeApi(routes({ 'GET /me': fail('token_expired', 401), 'POST /auth/refresh': fail('refresh_token_reused', 401) }))
  const { wx, page } = await open(api)
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' })
  expect(wx.storage.has('revisit.session')).toBe(false)
  expect(text(page)).toContain('登录已过期')
})

test('a server error shows a plain message and reloads on tap', async () => {
  const api = fakeApi(routes({ 'GET /me/inbox': { status: 500, body: 'oops' } }))
  const { page } = await open(api)
  expect(text(page)).toContain('服务暂时不可用')
  api.on('GET /me/inbox', ok({ items: [], unread: 0 }))
  await tap(page, '.retry')
  expect(text(page)).toContain('王芳，您好')
})

test('the check-in button goes to the check-in tab', async () => {
  const { wx, page } = await open(fakeApi(routes()))
  await tap(page, '.go-checkin')
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/checkin/index' })
})

test('coming back to the tab shows the new figures without a loading flash', async () => {
  const api = fakeApi(routes())
  const { page } = await open(api)
  api.on('GET /me', ok({ patient: { ...me.patient, balance: 130 } }))
  page.instance.onShow()
  expect(page.data.loading).toBe(false)
  await settle()
  expect(page.querySelector('.balance').dom.textContent).toContain('130')
  expect(api.called('GET /me')).toHaveLength(2)
})
