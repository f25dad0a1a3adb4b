// packages/booking/mine: 我的预约 — bookings to come first, statuses in words, cancel and 改约.
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn, dayFromToday } = require('./helpers')

const at = (date, hhmm) => new Date(`${date}T${hhmm}:00`).toISOString()
const row = (id, date, start, end, status, extra = {}) => ({ appointment_id: id, patient_id: 'p1', doctor_id: 'dr-li',
  doctor_name: '李医生', department: 'dentistry', date, start, end, starts_at: at(date, start), ends_at: at(date, end),
  expert: false, status, booked_at: '2026-11-01T01:00:00Z', booked_by: 'patient', changed_at: null, rescheduled_to: null,
  visit_id: null, after_reminder_days: null, ...extra })
const LATER = row('p1.later.0900.dr-li', dayFromToday(9), '09:00', '09:30', 'booked')
const SOON = row('p1.soon.1400.dr-zhao', dayFromToday(2), '14:00', '14:30', 'booked',
  { doctor_id: 'dr-zhao', doctor_name: '赵主任', expert: true, department: 'endocrinology' })
const MOVED = row('p1.moved', dayFromToday(1), '10:00', '10:30', 'cancelled', { rescheduled_to: SOON.appointment_id })
const CAME = row('p1.came', dayFromToday(-20), '09:00', '09:30', 'arrived', { visit_id: 'v1' })
const MISSED = row('p1.missed', dayFromToday(-40), '09:00', '09:30', 'no_show')
const CANCELLED = row('p1.cancelled', dayFromToday(-5), '11:00', '11:30', 'cancelled')
// GET /me/appointments answers the latest slot first
const ALL = [LATER, SOON, MOVED, CANCELLED, CAME, MISSED]

async function open(routes = {}) {
  const api = fakeApi({ 'GET /me/appointments': ok({ items: ALL }), ...routes })
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/booking/mine/index')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

const rows = (page, kind) => page.querySelectorAll(`.${kind}`).map((r) => r.dom.textContent.replace(/\s+/g, ' ').trim())
const button = (page, cls, n) => page.querySelectorAll(cls)[n].querySelector('.t-button')
async function press(page, cls, n) {
  button(page, cls, n).dispatchEvent('tap')
  await settle()
}

test('bookings to come first, soonest first; the others after, latest first, each status in Chinese', async () => {
  const { page } = await open()
  const upcoming = rows(page, 'upcoming')
  expect(upcoming).toHaveLength(2)
  expect(upcoming[0]).toContain('后天')
  expect(upcoming[0]).toContain('14:00–14:30')
  expect(upcoming[0]).toContain('内分泌科 · 赵主任专家号')
  expect(upcoming[0]).toContain('待就诊')
  expect(upcoming[1]).toContain('口腔科 · 李医生')
  const past = rows(page, 'past')
  expect(past.map((t) => t.match(/已改约|已取消|已就诊|未到诊/)[0])).toEqual(['已改约', '已取消', '已就诊', '未到诊'])
  const shown = text(page)
  for (const code of ['booked', 'arrived', 'cancelled', 'no_show', 'dentistry', 'dr-li']) expect(shown).not.toContain(code)
  // only bookings to come can be changed
  expect(page.querySelectorAll('.cancel')).toHaveLength(2)
  expect(page.querySelectorAll('.reschedule')).toHaveLength(2)
})

test('cancel asks first; 确认取消 sends the cancel of that booking and reads the list again', async () => {
  let reads = 0
  const { api, wx, page } = await open({
    'GET /me/appointments': () => ok({ items: reads++ ? [LATER, { ...SOON, status: 'cancelled' }] : ALL }),
    [`POST /me/appointments/${SOON.appointment_id}/cancel`]: ok({ appointment: { ...SOON, status: 'cancelled' } }),
  })
  await press(page, '.cancel', 0)
  expect(page.instance.data.dialogVisible).toBe(true)
  expect(page.querySelector('.dialog-when').dom.textContent).toContain('14:00–14:30')
  expect(text(page)).toContain('取消后这个号会让给其他患者')
  expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
  await tap(page, '.dialog-confirm')
  expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path))
    .toEqual([`/me/appointments/${SOON.appointment_id}/cancel`])
  expect(wx.showToast).toHaveBeenCalledWith({ title: '已取消预约', icon: 'none' })
  expect(api.called('GET /me/appointments')).toHaveLength(2)
  expect(rows(page, 'upcoming')).toHaveLength(1)
  expect(rows(page, 'past')[0]).toContain('已取消')
})

test('不取消 sends nothing', async () => {
  const { api, page } = await open()
  await press(page, '.cancel', 1)
  await tap(page, '.dialog-keep')
  expect(page.instance.data.dialogVisible).toBe(false)
  expect(api.calls.filter((c) => c.method === 'POST')).toHaveLength(0)
})

test('a cancel refused because the slot has started is told in Chinese and the list is read again', async () => {
  const { api, page } = await open({ [`POST /me/appointments/${SOON.appointment_id}/cancel`]: fail('slot_started', 409) })
  await press(page, '.cancel', 0)
  await tap(page, '.dialog-confirm')
  expect(text(page)).toContain('这个时段已经开始了')
  expect(text(page)).not.toContain('slot_started')
  expect(api.called('GET /me/appointments')).toHaveLength(2)
})

test('改约 opens the booking page on the booking’s department, to move that booking', async () => {
  const { wx, page } = await open()
  await press(page, '.reschedule', 1)
  expect(wx.navigateTo).toHaveBeenCalledWith({
    url: `/packages/booking/slots/index?department=dentistry&reschedule=${encodeURIComponent(LATER.appointment_id)}` })
})

test('no booking yet: a kind empty state with 预约复诊', async () => {
  const { wx, page } = await open({ 'GET /me/appointments': ok({ items: [] }) })
  expect(text(page)).toContain('您还没有预约')
  await tap(page, '.book-first')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/booking/slots/index' })
})

test('a failed load shows the Chinese message and a retry', async () => {
  const { api, page } = await open({ 'GET /me/appointments': { fail: 'request:fail' } })
  expect(text(page)).toContain('网络不太顺畅')
  api.on('GET /me/appointments', ok({ items: ALL }))
  await tap(page, '.retry')
  expect(rows(page, 'upcoming')).toHaveLength(2)
})
