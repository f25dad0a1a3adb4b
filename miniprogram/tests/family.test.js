const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const referral = { invite_code: 'FAM88', share_path: 'pages/register/index?clinic=demo-dental&invite=FAM88', reward_points: 20 }

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/invite/family')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('explains the family card and how inviting family works, with the code and the reward', async () => {
  const { page } = await open({ 'GET /me/referral': ok(referral) })
  const shown = text(page)
  expect(shown).toContain('家庭洁牙卡')
  expect(shown).toContain('邀请码 FAM88')
  expect(shown).toContain('每邀请一位家人建档，您获得 20 积分')
  expect(page.querySelectorAll('.step')).toHaveLength(3)
})

test('sharing to family opens the launch page with the code', async () => {
  const { page } = await open({ 'GET /me/referral': ok(referral) })
  expect(page.instance.onShareAppMessage().path).toBe('/pages/launch/index?invite=FAM88')
})

test('points link goes to the points page', async () => {
  const { wx, page } = await open({ 'GET /me/referral': ok(referral) })
  await tap(page, '.to-points')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/points/index/index' })
})

test('我的家庭 is one tap away', async () => {
  const { wx, page } = await open({ 'GET /me/referral': ok(referral) })
  await tap(page, '.to-family')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/family/index' })
})

test('a lost session goes back to launch; other errors offer a retry', async () => {
  const { wx, page } = await open({ 'GET /me/referral': fail('session_revoked', 401) })
  expect(wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' })
  expect(text(page)).toContain('登录已失效')
})
