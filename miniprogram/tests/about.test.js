const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn, setupReply } = require('./helpers')

async function open(api) {
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/more/about/index')
  page.instance.onLoad()
  await settle()
  return { wx, page }
}

test("names the clinic in words, never its id", async () => {
  const { page } = await open(fakeApi({ 'GET /me/setup': ok(setupReply({ clinic: { clinic_id: 'demo-dental', name: '齿护口腔门诊部' } })) }))
  const shown = text(page)
  expect(shown).toContain('齿护口腔门诊部')
  expect(shown).toContain('版本')
  expect(shown).not.toContain('demo-dental')
})

test('without the clinic the page still reads well and links the policy', async () => {
  const { wx, page } = await open(fakeApi({ 'GET /me/setup': fail('network', 503) }))
  expect(text(page)).toContain('诊所的健康服务')
  expect(page.querySelector('.clinic')).toBeFalsy()
  await tap(page, '.privacy', '.t-cell')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/pages/privacy/index' })
})
