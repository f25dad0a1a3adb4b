// 本月榜单 (packages/me/board).
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const board = (me = { score: 120, visible: true, rank: 2 }) => ({
  month: '2026-12',
  items: [
    { rank: 1, name_masked: '李*', score: 180 },
    { rank: 2, name_masked: '王*', score: 120, ...(me && me.visible ? { me: true } : {}) },
    { rank: 3, name_masked: '张**', score: 90 },
  ].filter((r) => me && me.visible || r.rank !== 2),
  me,
})

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/me/board')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test("this month's board with masked names and the patient's own row highlighted", async () => {
  const { api, page } = await open({ 'GET /leaderboard': ok(board()) })
  expect(api.called('GET /leaderboard')).toHaveLength(1)
  const shown = text(page)
  expect(shown).toContain('2026年12月之星')
  expect(shown).toContain('不显示任何健康数据')
  expect(shown).toContain('您本月 120 分，排第 2 名')
  expect(page.querySelectorAll('.row')).toHaveLength(3)
  const mine = page.querySelectorAll('.mine-row')
  expect(mine).toHaveLength(1)
  expect(mine[0].dom.textContent).toContain('王*（我）')
  expect(shown).toContain('李*')
  expect(page.querySelector('.visible-switch').data.value).toBe(true)
})

test('switching off sends PUT /me/leaderboard and shows the board without the patient', async () => {
  let me = { score: 120, visible: true, rank: 2 }
  const { api, page } = await open({
    'GET /leaderboard': () => ok(board(me)),
    'PUT /me/leaderboard': (call) => { me = { score: 120, visible: call.data.visible, rank: null }; return ok({ visible: call.data.visible }) },
  })
  await tap(page, '.visible-switch', '.t-switch')
  await settle()
  const sent = api.called('PUT /me/leaderboard')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ visible: false })
  expect(text(page)).toContain('您已选择不上榜')
  expect(page.querySelectorAll('.mine-row')).toHaveLength(0)
  expect(page.querySelector('.visible-switch').data.value).toBe(false)
})

test('a failed switch goes back and says why', async () => {
  const { page } = await open({ 'GET /leaderboard': ok(board()), 'PUT /me/leaderboard': fail('try_again', 409) })
  await tap(page, '.visible-switch', '.t-switch')
  await settle()
  expect(page.querySelector('.save-error').dom.textContent).toContain('人有点多')
  expect(page.querySelector('.visible-switch').data.value).toBe(true)
})

test('an empty month says so kindly; a failed load offers a retry', async () => {
  const { api, page } = await open({ 'GET /leaderboard': fail('try_again', 409) })
  expect(text(page)).toContain('人有点多')
  api.on('GET /leaderboard', ok({ month: '2026-12', items: [], me: { score: 0, visible: true, rank: null } }))
  await tap(page, '.retry')
  expect(text(page)).toContain('本月还没有人上榜')
  expect(text(page)).toContain('您本月 0 分')
})
