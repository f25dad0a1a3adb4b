// packages/booking/slots: 预约复诊 — open slots by day, booking with a confirmation, refusals, 改约.
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn, dayFromToday } = require('./helpers')

const D1 = dayFromToday(1)
const D2 = dayFromToday(3)
const slot = (date, start, end, doctor, extra = {}) => ({ doctor_id: doctor.id, doctor_name: doctor.name, department: 'dentistry',
  date, start, end, starts_at: `${date}T01:00:00Z`, ends_at: `${date}T01:30:00Z`, capacity: 4, left: 2, expert: false, bookable: true, priority: false, opens_on: null, ...extra })
const LI = { id: 'dr-li', name: '李医生' }
const ZHAO = { id: 'dr-zhao', name: '赵主任' }
const SLOTS = [
  slot(D2, '14:00', '14:30', ZHAO, { expert: true, left: 1 }),
  slot(D1, '09:30', '10:00', LI, { left: 0 }),
  slot(D1, '09:00', '09:30', LI, { left: 3 }),
]
const slotsReply = (items = SLOTS) => ok({ tz: 'Asia/Shanghai', first_day: dayFromToday(0), last_day: dayFromToday(13), items })
const me = (department) => ok({ patient: { patient_id: 'p1', name: '王芳', phone: '13812345678', department } })
const booking = (date, start, end, doctor, extra = {}) => ({ appointment_id: `p1.${date.replace(/-/g, '')}.${start.replace(':', '')}.${doctor.id}`,
  patient_id: 'p1', doctor_id: doctor.id, doctor_name: doctor.name, department: 'dentistry', date, start, end,
  starts_at: `${date}T01:00:00Z`, ends_at: `${date}T01:30:00Z`, expert: false, status: 'booked', booked_at: '2026-12-01T01:00:00Z',
  booked_by: 'patient', changed_at: null, rescheduled_to: null, visit_id: null, after_reminder_days: null, ...extra })
const booked = ok({ appointment: booking(D1, '09:00', '09:30', LI, { after_reminder_days: 1 }) }, 201)

async function open(query = { department: 'dentistry' }, routes = {}) {
  const api = fakeApi({ 'GET /me/appointment-slots': slotsReply(), 'GET /me': me('dentistry'), ...routes })
  const wx = installWx(api, { setNavigationBarTitle: jest.fn() })
  signIn(wx)
  const page = renderAt('packages/booking/slots/index')
  page.instance.onLoad(query)
  await settle()
  return { api, wx, page }
}

const days = (page) => page.querySelectorAll('.day').map((d) => d.dom.textContent.replace(/\s+/g, ' ').trim())
const pickButton = (page, n) => page.querySelectorAll('.pick')[n].querySelector('.t-button')
async function pick(page, n) {
  pickButton(page, n).dispatchEvent('tap')
  await settle()
}

test('?department= preselects it: its slots of the next two weeks are asked for and listed by day', async () => {
  const { api, page } = await open({ department: 'dentistry' })
  const asked = api.called('GET /me/appointment-slots')
  expect(asked).toHaveLength(1)
  expect(asked[0].data).toEqual({ department: 'dentistry', from: dayFromToday(0), to: dayFromToday(13) })
  expect(api.called('GET /me')).toHaveLength(0) // the link said which department
  expect(text(page)).toContain('口腔科可预约的时段')
  const shown = days(page)
  expect(shown).toHaveLength(2)
  // the first day: 明天, its slots in time order with the places left; a full one says so
  expect(shown[0]).toMatch(/^明天 \d+月\d+日 周./)
  expect(shown[0].indexOf('09:00–09:30')).toBeLessThan(shown[0].indexOf('09:30–10:00'))
  expect(shown[0]).toContain('李医生')
  expect(shown[0]).toContain('还剩 3 个号')
  expect(shown[0]).toContain('已约满')
  expect(shown[1]).toContain('14:00–14:30')
  expect(shown[1]).toContain('赵主任专家号')
  expect(shown[1]).toContain('还剩 1 个号')
  // the full slot's button is disabled
  expect(pickButton(page, 1).dom.className).toContain('disabled')
  expect(pickButton(page, 0).dom.className).not.toContain('disabled')
  // the preselected department is the highlighted one
  const variant = (code) => page.querySelector(`.department-${code}`).querySelector('.t-button').dom.className
  expect(variant('dentistry')).toContain('t-button--base')
  expect(variant('dermatology')).toContain('t-button--outline')
})

test('without ?department= the patient’s own department is chosen; another one can be picked', async () => {
  const { api, page } = await open({}, { 'GET /me': me('dermatology') })
  expect(api.called('GET /me')).toHaveLength(1)
  expect(api.called('GET /me/appointment-slots')[0].data.department).toBe('dermatology')
  expect(text(page)).toContain('皮肤科可预约的时段')
  await tap(page, '.department-dentistry')
  const asked = api.called('GET /me/appointment-slots')
  expect(asked).toHaveLength(2)
  expect(asked[1].data.department).toBe('dentistry')
  expect(text(page)).toContain('口腔科可预约的时段')
})

test('no department known: the choice is asked for first, nothing else is read', async () => {
  const { api, page } = await open({}, { 'GET /me': me(null) })
  expect(text(page)).toContain('请先选择要预约的科室')
  expect(api.called('GET /me/appointment-slots')).toHaveLength(0)
  await tap(page, '.department-endocrinology')
  expect(api.called('GET /me/appointment-slots')[0].data.department).toBe('endocrinology')
})

test('a department the clinic does not have is told in Chinese and leaves the choice', async () => {
  const { page } = await open({ department: 'obstetrics' }, { 'GET /me/appointment-slots': fail('unknown_department', 400, 'department') })
  expect(text(page)).toContain('诊所暂时没有这个科室的预约，请选择其他科室')
  expect(text(page)).not.toContain('unknown_department')
  expect(page.querySelector('.department-obstetrics')).toBeFalsy()
  expect(page.querySelector('.department-dentistry')).toBeTruthy()
})

test('booking asks first, then sends one POST with an Idempotency-Key and shows the confirmation', async () => {
  const { api, wx, page } = await open({ department: 'dentistry' }, { 'POST /me/appointments': booked })
  await pick(page, 0)
  expect(page.instance.data.dialogVisible).toBe(true)
  expect(text(page)).toContain('确认预约')
  expect(page.querySelector('.dialog-when').dom.textContent).toMatch(/^明天 \d+月\d+日 周.$/)
  expect(page.querySelector('.dialog-time').dom.textContent).toBe('09:00–09:30')
  expect(page.querySelector('.dialog-who').dom.textContent).toBe('口腔科 · 李医生')
  expect(api.called('POST /me/appointments')).toHaveLength(0) // nothing before the patient confirms
  await tap(page, '.dialog-confirm')
  const sent = api.called('POST /me/appointments')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ doctor_id: 'dr-li', date: D1, start: '09:00' })
  expect(sent[0].header['Idempotency-Key']).toMatch(/^book-/)
  const shown = text(page)
  expect(shown).toContain('预约成功')
  expect(page.querySelector('.done-when').dom.textContent).toMatch(/明天 .*09:00–09:30/)
  expect(page.querySelector('.done-who').dom.textContent).toContain('口腔科 · 李医生')
  expect(shown).toContain('这次复诊的提醒一般就不再发了')
  await tap(page, '.to-mine')
  expect(wx.redirectTo).toHaveBeenCalledWith({ url: '/packages/booking/mine/index' })
})

test('再想想 sends nothing', async () => {
  const { api, page } = await open()
  await pick(page, 0)
  await tap(page, '.dialog-cancel')
  expect(page.instance.data.dialogVisible).toBe(false)
  expect(api.called('POST /me/appointments')).toHaveLength(0)
})

test('a booking retried after a network failure sends the same Idempotency-Key', async () => {
  let attempts = 0
  const { api, page } = await open({ department: 'dentistry' },
    { 'POST /me/appointments': () => (attempts++ ? booked : { fail: 'request:fail' }) })
  await pick(page, 0)
  await tap(page, '.dialog-confirm')
  expect(text(page)).toContain('网络不太顺畅')
  expect(text(page)).not.toContain('预约成功')
  await pick(page, 0)
  await tap(page, '.dialog-confirm')
  const sent = api.called('POST /me/appointments')
  expect(sent).toHaveLength(2)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(text(page)).toContain('预约成功')
})

test('slot_full is told in Chinese and the slots are read again', async () => {
  let reads = 0
  const { api, page } = await open({ department: 'dentistry' }, {
    'GET /me/appointment-slots': () => (reads++ ? slotsReply([slot(D1, '09:00', '09:30', LI, { left: 0 }), SLOTS[0]]) : slotsReply()),
    'POST /me/appointments': fail('slot_full', 409),
  })
  await pick(page, 0)
  await tap(page, '.dialog-confirm')
  const shown = text(page)
  expect(shown).toContain('这个时段刚刚约满了，请换一个时段')
  expect(shown).not.toContain('slot_full')
  expect(shown).not.toContain('预约成功')
  expect(api.called('GET /me/appointment-slots')).toHaveLength(2)
  // the list now tells the truth: 09:00 is full and 09:30 is gone
  expect(days(page)[0]).toContain('已约满')
  expect(days(page)[0]).not.toContain('09:30–10:00')
  expect(pickButton(page, 0).dom.className).toContain('disabled')
})

test.each([
  ['already_booked', 409, '您已经预约了这个时段，不用再约一次'],
  ['too_many_appointments', 409, '您待就诊的预约已经有 3 个了，请先就诊或取消一个再预约'],
  ['slot_started', 409, '这个时段已经开始了，请换一个时段'],
])('%s is told in Chinese, never as a code', async (code, status, words) => {
  const { page } = await open({ department: 'dentistry' }, { 'POST /me/appointments': fail(code, status) })
  await pick(page, 0)
  await tap(page, '.dialog-confirm')
  expect(text(page)).toContain(words)
  expect(text(page)).not.toContain(code)
})

test('no open slot in the two weeks: a kind empty state and the next two weeks on request', async () => {
  const { api, page } = await open({ department: 'dentistry' }, { 'GET /me/appointment-slots': slotsReply([]) })
  expect(text(page)).toContain('这段时间口腔科没有可预约的号了')
  await tap(page, '.more')
  const asked = api.called('GET /me/appointment-slots')
  expect(asked).toHaveLength(2)
  expect(asked[1].data).toEqual({ department: 'dentistry', from: dayFromToday(14), to: dayFromToday(27) })
})

test('the slots failing to load: the Chinese message and a retry', async () => {
  const { api, page } = await open({ department: 'dentistry' }, { 'GET /me/appointment-slots': { fail: 'request:fail' } })
  expect(text(page)).toContain('网络不太顺畅')
  api.on('GET /me/appointment-slots', slotsReply())
  await tap(page, '.retry-slots')
  expect(days(page)).toHaveLength(2)
})

const MOVING = booking(D2, '14:00', '14:30', ZHAO)

test('改约: the booking being moved is shown, its slot not offered, and the move is one reschedule request', async () => {
  const moved = ok({ appointment: booking(D1, '09:00', '09:30', LI), previous: { ...MOVING, status: 'cancelled',
    rescheduled_to: 'p1.x' } })
  const { api, wx, page } = await open({ reschedule: encodeURIComponent(MOVING.appointment_id) }, {
    'GET /me/appointments': ok({ items: [MOVING] }),
    [`POST /me/appointments/${MOVING.appointment_id}/reschedule`]: moved,
  })
  expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '改约' })
  expect(api.called('GET /me/appointment-slots')[0].data.department).toBe('dentistry')
  expect(text(page)).toContain('正在改约')
  expect(page.querySelector('.moving-when').dom.textContent).toContain('14:00–14:30')
  expect(days(page)[1]).toContain('您现在的预约')
  expect(page.querySelectorAll('.pick')).toHaveLength(2) // the current slot has no button
  await pick(page, 0)
  expect(page.querySelector('.dialog-note').dom.textContent).toContain('14:00–14:30')
  await tap(page, '.dialog-confirm')
  const sent = api.called(`POST /me/appointments/${MOVING.appointment_id}/reschedule`)
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ doctor_id: 'dr-li', date: D1, start: '09:00' })
  expect(api.called('POST /me/appointments')).toHaveLength(0)
  expect(text(page)).toContain('改约成功')
  expect(page.querySelector('.done-previous').dom.textContent).toContain('14:00–14:30')
  await tap(page, '.to-mine')
  expect(wx.navigateBack).toHaveBeenCalled()
})

test('改约 to a slot that just filled: slot_full in Chinese, the slots read again, the old booking kept', async () => {
  const { api, page } = await open({ reschedule: MOVING.appointment_id }, {
    'GET /me/appointments': ok({ items: [MOVING] }),
    [`POST /me/appointments/${MOVING.appointment_id}/reschedule`]: fail('slot_full', 409),
  })
  await pick(page, 0)
  await tap(page, '.dialog-confirm')
  expect(text(page)).toContain('这个时段刚刚约满了')
  expect(text(page)).toContain('正在改约')
  expect(api.called('GET /me/appointment-slots')).toHaveLength(2)
})

test('改约 of a booking that is no longer booked says so', async () => {
  const { page } = await open({ reschedule: MOVING.appointment_id }, {
    'GET /me/appointments': ok({ items: [{ ...MOVING, status: 'cancelled' }] }),
  })
  expect(text(page)).toContain('这个预约已经取消或已经就诊了，不能再改约')
})

test('bookings to come are named at the top, and a slot the patient holds is shown as theirs, not offered', async () => {
  const held = booking(D1, '09:00', '09:30', LI)
  const { api, wx, page } = await open({ department: 'dentistry' }, {
    'GET /me/appointments': ok({ items: [held, booking(dayFromToday(-3), '09:00', '09:30', LI, { status: 'arrived' })] }),
  })
  expect(api.called('GET /me/appointments')).toHaveLength(1)
  const note = page.querySelector('.upcoming').dom.textContent.replace(/\s+/g, ' ')
  expect(note).toContain('您已经有预约了')
  expect(note).toMatch(/明天 .*09:00–09:30 · 口腔科 · 李医生/)
  expect(page.querySelectorAll('.upcoming-line')).toHaveLength(1) // the past one is not named
  expect(days(page)[0]).toContain('您已预约')
  expect(page.querySelectorAll('.pick')).toHaveLength(2) // 09:00 has no button; 09:30 (full) and 14:00 do
  page.querySelector('.upcoming').dispatchEvent('tap')
  await settle()
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/booking/mine/index' })
})

test('opened straight from a reminder with no session kept: it signs in with WeChat first, then lists the slots', async () => {
  const tokens = (registered) => ok({ access_token: 'access-9', refresh_token: 'refresh-9', expires_in: 3600,
    patient_id: registered ? 'p1' : null, registered })
  const api = fakeApi({ 'POST /auth/wechat/login': tokens(true), 'GET /me/appointment-slots': slotsReply() })
  const wx = installWx(api)
  const page = renderAt('packages/booking/slots/index')
  page.instance.onLoad({ department: 'dentistry' })
  await settle()
  expect(api.called('POST /auth/wechat/login')[0].data.code).toBe('wx-test')
  const asked = api.called('GET /me/appointment-slots')
  expect(asked).toHaveLength(1)
  expect(asked[0].header.Authorization).toBe('Bearer access-9')
  expect(days(page)).toHaveLength(2)
  expect(wx.reLaunch).not.toHaveBeenCalled()

  // a WeChat user without a record goes to 建档
  const visitorApi = fakeApi({ 'POST /auth/wechat/login': tokens(false) })
  const visitorWx = installWx(visitorApi)
  const visitorPage = renderAt('packages/booking/slots/index')
  visitorPage.instance.onLoad({ department: 'dentistry' })
  await settle()
  expect(visitorWx.redirectTo).toHaveBeenCalledWith({ url: '/pages/register/index' })
  expect(visitorApi.called('GET /me/appointment-slots')).toHaveLength(0)
})

// 专家号优先预约: an expert slot still in the perk's priority window
const OPENS = dayFromToday(20)
const monthDay = (d) => `${d.slice(0, 4) === dayFromToday(0).slice(0, 4) ? '' : `${d.slice(0, 4)}年`}${Number(d.slice(5, 7))}月${Number(d.slice(8, 10))}日`
const D3 = dayFromToday(5)

test('without the perk, an expert slot not open yet is shown with the day it opens to everyone, not offered', async () => {
  const early = slot(D3, '14:00', '14:30', ZHAO, { expert: true, bookable: false, opens_on: OPENS })
  const { api, page } = await open({ department: 'dentistry' }, { 'GET /me/appointment-slots': slotsReply([...SLOTS, early]) })
  const day = days(page)[2]
  expect(day).toContain('赵主任专家号')
  expect(day).toContain('暂未开放')
  expect(day).not.toContain('还剩 2 个号')
  expect(page.querySelector('.priority-mark')).toBeFalsy()
  expect(page.querySelector('.slot-opens').dom.textContent)
    .toBe(`持有“专家号优先预约”权益的患者可提前预约，${monthDay(OPENS)}对所有人开放`)
  expect(page.querySelectorAll('.slot-opens')).toHaveLength(1) // only that slot carries the note
  expect(pickButton(page, 3).dom.className).toContain('disabled')
  await pick(page, 3)
  expect(page.instance.data.dialogVisible).toBe(false)
  expect(api.called('POST /me/appointments')).toHaveLength(0)
})

test('a holder of the perk sees the expert slot marked 优先预约 and books it', async () => {
  const early = slot(D3, '14:00', '14:30', ZHAO, { expert: true, priority: true, opens_on: OPENS })
  const made = ok({ appointment: booking(D3, '14:00', '14:30', ZHAO, { expert: true }) }, 201)
  const { api, page } = await open({ department: 'dentistry' }, {
    'GET /me/appointment-slots': slotsReply([...SLOTS, early]), 'POST /me/appointments': made,
  })
  const day = days(page)[2]
  expect(day).toContain('赵主任专家号优先预约')
  expect(day).toContain('还剩 2 个号')
  expect(page.querySelector('.slot-priority').dom.textContent).toBe('您持有“专家号优先预约”权益，可以提前预约')
  expect(page.querySelector('.slot-opens')).toBeFalsy()
  // only that slot carries the priority mark (the expert slot open to everyone has none)
  expect(page.querySelectorAll('.priority-mark')).toHaveLength(1)
  expect(days(page)[1]).not.toContain('优先预约')
  expect(pickButton(page, 3).dom.className).not.toContain('disabled')
  await pick(page, 3)
  expect(page.querySelector('.dialog-who').dom.textContent).toBe('口腔科 · 赵主任（专家号）')
  expect(page.querySelector('.dialog-priority').dom.textContent).toContain('凭“专家号优先预约”权益提前预约')
  await tap(page, '.dialog-confirm')
  expect(api.called('POST /me/appointments')[0].data).toEqual({ doctor_id: 'dr-zhao', date: D3, start: '14:00' })
  expect(text(page)).toContain('预约成功')
})

test('slot_not_open_yet (the perk lost meanwhile) is told in Chinese and the slots are read again', async () => {
  let reads = 0
  const early = slot(D3, '14:00', '14:30', ZHAO, { expert: true, priority: true, opens_on: OPENS })
  const { api, page } = await open({ department: 'dentistry' }, {
    'GET /me/appointment-slots': () => slotsReply([...SLOTS, reads++ ? { ...early, priority: false, bookable: false } : early]),
    'POST /me/appointments': fail('slot_not_open_yet', 409, 'date'),
  })
  await pick(page, 3)
  await tap(page, '.dialog-confirm')
  const shown = text(page)
  expect(shown).toContain('这个专家号还没有对所有人开放')
  expect(shown).not.toContain('slot_not_open_yet')
  expect(api.called('GET /me/appointment-slots')).toHaveLength(2)
  expect(days(page)[2]).toContain('暂未开放')
  expect(pickButton(page, 3).dom.className).toContain('disabled')
})

// A recall reminder's link: ?offer=1&department=&doctor_id=&date=&start=HHMM names the slot held for the patient.
const offerReply = (items) => ok({ items })
const held = (date, start, doctor, extra = {}) => ({ department: 'dentistry', doctor_id: doctor.id, doctor_name: doctor.name,
  date, start, starts_at: `${date}T01:00:00Z`, held_until: `${date}T00:00:00Z`, ...extra })
const offerQuery = { offer: '1', department: 'dentistry', doctor_id: 'dr-li', date: D1, start: '0900' }

test('a reminder’s link shows the held slot first and books it with one tap', async () => {
  const { api, page } = await open(offerQuery, {
    'GET /me/slot-offers': offerReply([held(D1, '09:00', LI)]),
    'POST /me/appointments': booked,
  })
  expect(api.called('GET /me/slot-offers')).toHaveLength(1)
  const card = page.querySelector('.offer').dom.textContent.replace(/\s+/g, ' ')
  expect(card).toContain('提醒里为您保留的号')
  expect(card).toMatch(/明天 \d+月\d+日 周. 09:00/)
  expect(card).toContain('口腔科 · 李医生')
  // the slots stay listed below, for another choice
  expect(days(page)).toHaveLength(2)
  await tap(page, '.offer-book')
  const sent = api.called('POST /me/appointments')
  expect(sent).toHaveLength(1) // no confirmation dialog: one tap
  expect(sent[0].data).toEqual({ doctor_id: 'dr-li', date: D1, start: '09:00' })
  expect(sent[0].header['Idempotency-Key']).toMatch(/^book-/)
  expect(text(page)).toContain('预约成功')
})

test('a held slot no longer held: the page says so and lists the open slots', async () => {
  const { api, page } = await open(offerQuery, { 'GET /me/slot-offers': offerReply([held(D2, '14:00', ZHAO)]) })
  expect(page.querySelector('.offer')).toBeFalsy()
  expect(text(page)).toContain('已经过了保留时间')
  expect(days(page)).toHaveLength(2)
  expect(api.called('POST /me/appointments')).toHaveLength(0)
})

test('a refused offer booking (the place went) reads the slots again and hides the card', async () => {
  const { api, page } = await open(offerQuery, {
    'GET /me/slot-offers': offerReply([held(D1, '09:00', LI)]),
    'POST /me/appointments': fail('slot_full', 409),
  })
  await tap(page, '.offer-book')
  expect(page.querySelector('.offer')).toBeFalsy()
  expect(api.called('GET /me/appointment-slots')).toHaveLength(2)
  expect(page.querySelector('.book-error')).toBeTruthy()
})
