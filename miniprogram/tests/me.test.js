// The me tab.
const { fakeApi, installWx, renderPage, settle, text, tap, ok, fail, signIn } = require('./helpers')

async function open(name, routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderPage(name)
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('me: shows the record with the phone masked, and links to privacy and the about page', async () => {
  const { wx, page } = await open('me', { 'GET /me': ok({ patient: { patient_id: 'p1', name: '王芳', phone: '13800001234',
    birth_year: null, sex: null, district: null, conditions: [], department: null, persona_tags: [], balance: 88,
    earned_total: 88, created_at: '2026-01-01T00:00:00Z', last_visit_date: null, revisit_due_date: null } }) })
  const shown = text(page)
  expect(shown).toContain('王芳')
  expect(shown).toContain('138****1234')
  expect(shown).not.toContain('13800001234')
  expect(shown).toContain('88')
  await tap(page, '.about')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/more/about/index' })
  await tap(page, '.privacy')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/privacy/index' })
})

test('me: an error offers a retry', async () => {
  const { page } = await open('me', { 'GET /me': fail('try_again', 409) })
  expect(text(page)).toContain('人有点多')
  expect(page.querySelector('.retry')).toBeTruthy()
})
