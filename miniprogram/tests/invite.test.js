const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const referral = { invite_code: 'AB12CD', share_path: 'pages/register/index?clinic=demo-dental&invite=AB12CD', reward_points: 15 }

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/invite/index')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('shows the invite code and what the patient and the friend get', async () => {
  const { page } = await open({ 'GET /me/referral': ok(referral) })
  const shown = text(page)
  expect(page.querySelector('.code').dom.textContent).toBe('AB12CD')
  expect(shown).toContain('好友建档成功，您获得 15 积分')
  expect(shown).toContain('建档后可收到复诊提醒')
  expect(page.querySelector('.share')).toBeTruthy()
})

test('no referral reward: the card says so without a points figure', async () => {
  const { page } = await open({ 'GET /me/referral': ok({ ...referral, reward_points: 0 }) })
  expect(text(page)).toContain('诊所会记下是您邀请的')
  expect(text(page)).not.toContain('获得 0 积分')
})

test('a share opens the launch page with the code and is recorded once with a key', async () => {
  const { api, page } = await open({ 'GET /me/referral': ok(referral), 'POST /me/shares': ok({ points_awarded: 5, balance: 125 }, 201) })
  const card = page.instance.onShareAppMessage()
  expect(card.path).toBe('/pages/launch/index?invite=AB12CD')
  expect(card.title).toBeTruthy()
  await settle()
  const sent = api.called('POST /me/shares')
  expect(sent).toHaveLength(1)
  expect(sent[0].data.share_ref).toMatch(/^invite:AB12CD:/)
  expect(sent[0].data.share_ref.length).toBeLessThanOrEqual(128)
  expect(sent[0].header['Idempotency-Key']).toMatch(/^share-/)
  expect(text(page)).toContain('分享成功，获得 5 积分')
})

test('a share past the limit or refused still reads as a share, with no points', async () => {
  const { api, page } = await open({ 'GET /me/referral': ok(referral), 'POST /me/shares': ok({ points_awarded: 0, balance: 120, limit_reached: 'day' }, 201) })
  page.instance.onShareAppMessage()
  await settle()
  expect(text(page)).toContain('分享成功，谢谢您')
  api.on('POST /me/shares', fail('share_already_rewarded', 409))
  page.instance.onShareAppMessage()
  await settle()
  expect(page.querySelector('.share-note').dom.textContent).toBe('分享成功')
})

test('a failed load offers a retry; the family card opens on tap', async () => {
  const { api, wx, page } = await open({ 'GET /me/referral': { fail: 'request:fail' } })
  expect(text(page)).toContain('网络不太顺畅')
  api.on('GET /me/referral', ok(referral))
  await tap(page, '.retry')
  expect(text(page)).toContain('AB12CD')
  await tap(page, '.family')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/invite/family/index' })
})
