// 任务与徽章 (packages/me/tasks).
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

const task = (over = {}) => ({ task_id: 't1', task_key: 'k', flag: 'hba1c_high', exam_id: 'e1', name: '每周打卡 3 次血糖',
  name_en: null, kind: 'checkin', checkin_type: 'glucose', min_value: 7.8, target: 6, progress: 3, marks: [],
  assigned_on: '2026-11-20', due_on: '2026-12-20', days_left: 14, status: 'active', completed_on: null,
  badge: { badge_id: 'b1', name: '控糖达人', name_en: null }, ...over })
const reply = {
  exams: [],
  tasks: [task(), task({ task_id: 't2', name: '复查眼底', target: 1, progress: 1, status: 'completed', completed_on: '2026-12-02',
    badge: { badge_id: 'b2', name: '护眼之星', name_en: null } })],
  badges: [{ badge_id: 'b2', name: '护眼之星', name_en: 'Eye star', earned_on: '2026-12-02', task_id: 't2' }],
  perks: [
    { perk_id: 'pk1', name: '优先预约', name_en: null, badges_required: 1, unlocked: true },
    { perk_id: 'pk2', name: '免费复查一次', name_en: null, badges_required: 3, unlocked: false },
  ],
}

async function open(routes) {
  const api = fakeApi(routes)
  const wx = installWx(api)
  signIn(wx)
  const page = renderAt('packages/me/tasks')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('tasks with progress and time left, badges earned, perks unlocked or how many badges are missing', async () => {
  const { page } = await open({ 'GET /me/tasks': ok(reply) })
  const active = page.querySelector('.task-active').dom.textContent.replace(/\s+/g, ' ')
  expect(active).toContain('每周打卡 3 次血糖')
  expect(active).toContain('完成 3 / 6')
  expect(active).toContain('还剩 14 天')
  expect(active).toContain('控糖达人')
  expect(page.querySelector('.task-completed').dom.textContent).toContain('12月2日完成')
  const shown = text(page)
  expect(shown).toContain('我的徽章（1）')
  expect(shown).toContain('护眼之星')
  expect(page.querySelector('.perk-on').dom.textContent).toContain('优先预约')
  expect(page.querySelector('.perk-on').dom.textContent).toContain('已解锁')
  expect(page.querySelector('.perk-off').dom.textContent).toContain('还差 2 枚徽章解锁')
  // never the clinical side: no flag, no threshold, no raw status
  for (const hidden of ['hba1c', '7.8', 'active', 'completed', 'glucose']) expect(shown).not.toContain(hidden)
})

test('nothing yet is said kindly', async () => {
  const { page } = await open({ 'GET /me/tasks': ok({ exams: [], tasks: [], badges: [], perks: [] }) })
  expect(text(page)).toContain('还没有任务')
  expect(page.querySelector('.task')).toBeFalsy()
})

test('a failed load offers a retry', async () => {
  const { api, page } = await open({ 'GET /me/tasks': fail('try_again', 409) })
  expect(text(page)).toContain('人有点多')
  api.on('GET /me/tasks', ok(reply))
  await tap(page, '.retry')
  expect(text(page)).toContain('护眼之星')
})
