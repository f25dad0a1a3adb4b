// 导出我的数据 and 注销账号 (packages/me/data).
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn, setupReply } = require('./helpers')

const at = '2026-12-01T02:30:00Z'
const exported = {
  profile: { patient_id: 'p1', name: '王芳', phone: '13800001234', birth_year: 1962, sex: null, district: null,
    conditions: ['diabetes'], department: null, persona_tags: [], balance: 120, earned_total: 150, created_at: at,
    last_visit_date: null, revisit_due_date: null, nickname: null, phone_verified: false, next_booking_date: null },
  consents: { service: { granted: true, version: 'v1', at }, marketing: { granted: false, version: 'withdrawal', at }, analytics: null },
  records: { checkin: [{ value: 6.2 }, { value: 5.9 }], visit: [{ visit_date: '2026-11-20' }], ledger: [{ delta: 10 }], zzz: [{}] },
}

async function open(part, routes = {}) {
  const api = fakeApi({ 'GET /me/setup': ok(setupReply()), 'GET /me/export': ok(exported), ...routes })
  const wx = installWx(api, {
    setClipboardData: jest.fn((options) => setTimeout(() => options.success && options.success({}), 0)),
  })
  signIn(wx)
  const page = renderAt('packages/me/data')
  page.instance.onLoad({ part })
  await settle()
  return { api, wx, page }
}

test('export: says what it contains, then shows it in readable sections', async () => {
  const { api, page } = await open('export')
  expect(text(page)).toContain('包括：您的个人资料')
  expect(api.called('GET /me/export')).toHaveLength(0)
  await tap(page, '.export')
  expect(api.called('GET /me/export')).toHaveLength(1)
  const shown = text(page)
  for (const part of ['个人资料', '授权情况', '各类记录', '王芳', '13800001234', '糖尿病', '1962',
    '打卡记录', '2 条', '就诊记录', '积分明细', '其他记录', '已撤回']) expect(shown).toContain(part)
  expect(shown).toContain('健康活动与优惠')
  expect(shown).not.toContain('diabetes')
  expect(shown).not.toContain('checkin')
})

test('export: everything can be copied to the clipboard', async () => {
  const { wx, page } = await open('export')
  await tap(page, '.export')
  await tap(page, '.copy')
  expect(wx.setClipboardData).toHaveBeenCalledTimes(1)
  expect(JSON.parse(wx.setClipboardData.mock.calls[0][0].data)).toEqual(exported)
  expect(wx.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已复制，可粘贴保存' }))
})

test('export: a failure offers to try again', async () => {
  const { api, page } = await open('export', { 'GET /me/export': fail('try_again', 409) })
  await tap(page, '.export')
  expect(text(page)).toContain('人有点多')
  api.on('GET /me/export', ok(exported))
  await tap(page, '.retry')
  expect(text(page)).toContain('打卡记录')
})

test('delete: says what is deleted and that it cannot be undone; two steps before DELETE /me, then launch', async () => {
  const { api, wx, page } = await open('delete', { 'DELETE /me': ok({ erased: true, items_removed: 12 }) })
  const shown = text(page)
  expect(shown).toContain('注销后将删除')
  expect(shown).toContain('打卡和就诊记录')
  expect(shown).toContain('无法恢复')
  expect(page.querySelector('.delete-confirm')).toBeFalsy()
  await tap(page, '.delete-start')
  expect(api.called('DELETE /me')).toHaveLength(0)
  expect(text(page)).toContain('最后确认')
  await tap(page, '.delete-confirm')
  expect(api.called('DELETE /me')).toHaveLength(1)
  expect(wx.storage.has('revisit.session')).toBe(false)
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' })
})

test('delete: the second step can be cancelled, and a failure keeps the session and says why', async () => {
  const { api, wx, page } = await open('delete', { 'DELETE /me': fail('try_again', 409) })
  await tap(page, '.delete-start')
  await tap(page, '.delete-cancel')
  expect(page.querySelector('.delete-confirm')).toBeFalsy()
  await tap(page, '.delete-start')
  await tap(page, '.delete-confirm')
  expect(api.called('DELETE /me')).toHaveLength(1)
  expect(page.querySelector('.delete-error').dom.textContent).toContain('人有点多')
  expect(wx.storage.has('revisit.session')).toBe(true)
  expect(wx.reLaunch).not.toHaveBeenCalled()
})
