const { fakeApi, installWx, renderPage, settle, text, tap, ok, fail, signIn } = require('./helpers')

const home = (overrides = {}) => ({
  today: '2026-12-06',
  me: { name_masked: '王*', nickname: '芳姐' },
  checkins: [{ checkin_id: 'k1', type: 'glucose', value: 6.2, counted: true, client_time: '2026-12-06T00:30:00Z' }],
  tasks: [{ task_id: 't1', title: '每天走路三十分钟', progress: 2, target: 7, checkin_type: 'steps', min_value: 3000,
    due_on: '2026-12-10', days_left: 4, counted_today: false }],
  streaks: [{ challenge_id: 'ch-7', name: '控糖打卡', checkin_type: 'glucose', current_streak: 5, days: 7, days_to_go: 2,
    grace: 1, grace_used: 0, last_day: '2026-12-06' }],
  points: { balance: 120, tier: 'silver', next_expiring: { points: 30, expires_on: '2026-12-31' } },
  revisit: { revisit_due_date: '2026-12-20', next_booking_date: null },
  inbox_unread: 2,
  ...overrides,
})

async function open(api) {
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage('home')
  page.instance.onLoad()
  await settle()
  return { wx, page }
}

test('the home tab comes from GET /me/home alone', async () => {
  const api = fakeApi({ 'GET /me/home': ok(home()) })
  await open(api)
  expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /me/home'])
})

test("shows today's check-ins, tasks, the streak, points with the next expiring lot, the visit and unread messages", async () => {
  const { page } = await open(fakeApi({ 'GET /me/home': ok(home()) }))
  const shown = text(page)
  expect(shown).toContain('芳姐，您好')
  expect(shown).toContain('血糖 6.2 mmol/L')
  expect(shown).toContain('每天走路三十分钟')
  expect(shown).toContain('进度 2/7')
  expect(shown).toContain('还剩 4 天')
  expect(shown).toContain('控糖打卡：已连续 5 天')
  expect(shown).toContain('再坚持 2 天就完成')
  expect(page.querySelector('.balance').dom.textContent).toContain('120')
  expect(shown).toContain('银卡会员')
  expect(shown).toContain('30 积分将于 12月31日到期')
  expect(shown).toContain('建议在 12月20日前后复诊')
  expect(shown).toContain('您有 2 条未读消息')
  expect(shown).not.toContain('silver')
  expect(shown).not.toContain('ch-7')
})

test('a booked visit is shown rather than the due date; the masked name when there is no nickname', async () => {
  const { page } = await open(fakeApi({ 'GET /me/home': ok(home({
    me: { name_masked: '王*', nickname: null }, revisit: { revisit_due_date: '2026-12-20', next_booking_date: '2027-01-08' } })) }))
  const shown = text(page)
  expect(shown).toContain('王*，您好')
  expect(shown).toContain('已预约 2027年1月8日就诊')
  expect(shown).not.toContain('建议在')
})

test('nothing yet: kind notes for check-ins and streaks, no expiring line, no tasks section', async () => {
  const { page } = await open(fakeApi({ 'GET /me/home': ok(home({
    checkins: [], tasks: [], streaks: [], inbox_unread: 0,
    points: { balance: 0, tier: 'bronze', next_expiring: null }, revisit: { revisit_due_date: null, next_booking_date: null } })) }))
  const shown = text(page)
  expect(shown).toContain('今天还没有打卡')
  expect(shown).toContain('还没有参加打卡挑战')
  expect(shown).toContain('没有未读消息')
  expect(shown).not.toContain('待完成的任务')
  expect(page.querySelector('.expiring')).toBeFalsy()
  expect(page.querySelector('.visit')).toBeFalsy()
})

test('taps: the streak opens its challenge, points open the points page, messages the messages tab', async () => {
  const { wx, page } = await open(fakeApi({ 'GET /me/home': ok(home()) }))
  await tap(page, '.streak')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/challenge/detail/index?id=ch-7' })
  page.querySelector('.balance').dispatchEvent('tap')
  await settle()
  expect(wx.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/points/index/index' })
  page.querySelector('.expiring').dispatchEvent('tap')
  await settle()
  expect(wx.navigateTo).toHaveBeenCalledTimes(3)
  await tap(page, '.messages')
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/messages/index' })
  await tap(page, '.go-checkin')
  expect(wx.switchTab).toHaveBeenLastCalledWith({ url: '/pages/checkin/index' })
})

test('an expired token is refreshed once and the page still loads', async () => {
  let calls = 0
  const api = fakeApi({
    'GET /me/home': () => (calls++ === 0 ? fail('token_expired', 401) : ok(home())),
    'POST /auth/refresh': ok({ access_token: 'access-2', refresh_token: 'refresh-2', expires_in: 3600, patient_id: 'p1', registered: true }),
  })
  const { wx, page } = await open(api)
  expect(api.called('POST /auth/refresh')).toHaveLength(1)
  expect(api.called('GET /me/home')[1].header.Authorization).toBe('Bearer access-2')
  expect(wx.storage.get('revisit.session').access_token).toBe('access-2')
  expect(text(page)).toContain('芳姐，您好')
})

test('a refresh that fails sends the patient back to sign in', async () => {
  const api = fakeApi({ 'GET /me/home': fail('token_expired', 401), 'POST /auth/refresh': fail('refresh_token_reused', 401) })
  const { wx, page } = await open(api)
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' })
  expect(text(page)).toContain('登录已过期')
})

test('a server error shows a plain message and reloads on tap', async () => {
  const api = fakeApi({ 'GET /me/home': { status: 500, body: 'oops' } })
  const { page } = await open(api)
  expect(text(page)).toContain('服务暂时不可用')
  api.on('GET /me/home', ok(home()))
  await tap(page, '.retry')
  expect(text(page)).toContain('芳姐，您好')
})

test('coming back to the tab shows the new figures without a loading flash', async () => {
  const api = fakeApi({ 'GET /me/home': ok(home()) })
  const { page } = await open(api)
  api.on('GET /me/home', ok(home({ points: { balance: 130, tier: 'silver', next_expiring: null } })))
  page.instance.onShow()
  expect(page.data.loading).toBe(false)
  await settle()
  expect(page.querySelector('.balance').dom.textContent).toContain('130')
  expect(api.called('GET /me/home')).toHaveLength(2)
})

const tcm = { task_id: 't2', title: '三次中医调理', progress: 1, target: 3, checkin_type: 'task', min_value: null,
  due_on: '2026-12-20', days_left: 14, counted_today: false }

test('a session of a task is recorded from home with one key kept across a retry', async () => {
  let tries = 0
  const api = fakeApi({
    'GET /me/home': ok(home({ tasks: [tcm] })),
    'POST /me/checkins': () => (tries++ === 0 ? { fail: 'request:fail timeout' }
      : ok({ checkin: { checkin_id: 'k9', type: 'task', value: 1, local_date: '2026-12-06', counted: true },
        points_awarded: 5, balance: 125 }, 201)),
  })
  const { wx, page } = await open(api)
  expect(text(page)).toContain('完成一次')
  await tap(page, '.do-task-0')
  expect(page.querySelector('.task-error')).toBeTruthy() // the first try failed: said, and nothing counted twice
  await tap(page, '.do-task-0')
  const sent = api.called('POST /me/checkins')
  expect(sent).toHaveLength(2)
  expect(sent[0].data).toMatchObject({ type: 'task', value: 1 })
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已记录，+5 积分', icon: 'none' })
  expect(api.called('GET /me/home').length).toBeGreaterThanOrEqual(2) // the figures are read again
})

test('a steps task leads to the WeRun page, a glucose one to the check-in', async () => {
  const glucose = { ...tcm, task_id: 't3', title: '每周测三次餐后血糖', checkin_type: 'glucose' }
  const { wx, page } = await open(fakeApi({ 'GET /me/home': ok(home({ tasks: [home().tasks[0], glucose] })) }))
  await tap(page, '.do-task-0')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/invite/steps/index' })
  await tap(page, '.do-task-1')
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/checkin/index' })
})

test("a task on the clinic's own type opens the check-in tab on that type, never records a task; its readings are named", async () => {
  const weighTask = { ...tcm, task_id: 't4', title: '每周称两次体重', checkin_type: 'weight' }
  const api = fakeApi({ 'GET /me/home': ok(home({ tasks: [weighTask],
    checkins: [{ checkin_id: 'k9', type: 'weight', value: 61.5, counted: true, client_time: '2026-12-06T00:30:00Z' },
      { checkin_id: 'k10', type: 'blood_pressure', value: 128, diastolic: 82, counted: true,
        client_time: '2026-12-06T00:40:00Z' }] })) })
  const wx = installWx(api)
  signIn(wx)
  // the clinic's types as the check-in page kept them (GET /me/setup)
  wx.storage.set('revisit.checkinTypes', { at: Date.now(), items: [
    { code: 'weight', label: '体重', unit: 'kg', input: 'number', low: 20, high: 250, places: 1 },
    { code: 'blood_pressure', label: '血压', unit: 'mmHg', input: 'blood_pressure', low: 50, high: 260, places: 0, low2: 30, high2: 160 }] })
  const page = renderPage('home')
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('体重 61.5 kg')
  expect(text(page)).toContain('血压 128/82 mmHg') // both numbers of a blood pressure
  await tap(page, '.do-task-0')
  expect(api.called('POST /me/checkins')).toHaveLength(0)
  expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/checkin/index' })
  expect(wx.storage.get('revisit.checkinWanted')).toBe('weight') // the check-in tab takes it when it shows
  expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /me/home'])
})

test('复诊: without a booking 预约复诊 opens the booking page; a booked visit opens 我的预约', async () => {
  const { wx, page } = await open(fakeApi({ 'GET /me/home': ok(home()) }))
  expect(page.querySelector('.booked-visit')).toBeFalsy()
  await tap(page, '.book')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/booking/slots/index' })

  const booked = await open(fakeApi({ 'GET /me/home': ok(home({
    revisit: { revisit_due_date: '2026-12-20', next_booking_date: '2026-12-09' } })) }))
  expect(booked.page.querySelector('.book')).toBeFalsy()
  expect(text(booked.page)).toContain('已预约 12月9日就诊')
  expect(text(booked.page)).toContain('查看、改约或取消预约')
  await tap(booked.page, '.booked-visit')
  expect(booked.wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/booking/mine/index' })
})
