// 我的家庭 (packages/family/index): members, the shared card, inviting, 添加孩子, 照护设置, leaving.
const { fakeApi, installWx, renderAt, settle, text, tap, ok, fail, signIn } = require('./helpers')

/** The text of a t-cell (a virtual host: its root element is inside). */
const cellText = (found) => found.querySelector('.t-cell').dom.textContent
/** The invite code's groups as shown (the simulator prefixes a page's own classes: "index--group"). */
const groups = (page) => [...page.querySelector('.invite-card').dom.querySelectorAll('[class*="--group"]')].map((g) => g.textContent)

const member = (id, name, relation, extra = {}) => ({ member_id: id, name, relation, minor: false, me: false,
  i_care_for: false, cares_for_me: false, may_checkin: false, gets_reminders: false, ...extra })

const family = {
  family_id: 'fam-1',
  members: [
    member('p-husband', '李*', 'spouse', { cares_for_me: true }),
    member('p-me', '王*', 'self', { me: true }),
    member('p-baby', '李*', 'child', { minor: true, i_care_for: true, may_checkin: true, gets_reminders: true }),
    member('p-mother', '张*', 'parent', { may_checkin: true }),
  ],
  card: { uses_total: 4, uses_left: 3, valid_until: '2099-06-30', used: [{ date: '2026-11-02', name: '李*' }] },
}

async function open(routes, extra = {}) {
  const api = fakeApi(routes)
  const wx = installWx(api, { showModal: jest.fn((o) => o.success({ confirm: true, cancel: false })), ...extra })
  signIn(wx)
  const page = renderAt('packages/family/index')
  page.instance.onLoad()
  await settle()
  return { api, wx, page }
}

test('lists the members with their relation in words, 我 first, and their marks', async () => {
  const { page, api } = await open({ 'GET /me/family': ok(family) })
  expect(api.called('GET /me/family')).toHaveLength(1)
  const rows = page.querySelectorAll('.member')
  expect(rows).toHaveLength(4)
  expect(cellText(rows[0])).toContain('王*（我）')
  const shown = text(page)
  expect(shown).toContain('配偶')
  expect(shown).toContain('孩子')
  expect(shown).toContain('父母')
  expect(shown).toContain('未成年')
  const husband = cellText(page.querySelector('.member-1'))
  expect(husband).toContain('照护我')
  expect(husband).not.toContain('我照护')
  const baby = cellText(page.querySelector('.member-2'))
  for (const mark of ['我照护', '可代为打卡', '提醒发给我']) expect(baby).toContain(mark)
  expect(cellText(page.querySelector('.member-3'))).toContain('可代为打卡')
  // never a code or an id
  expect(shown).not.toMatch(/spouse|parent|p-baby|fam-1|self/)
})

test('the family card: uses left of total, until when, who used it when', async () => {
  const { page } = await open({ 'GET /me/family': ok(family) })
  const card = page.querySelector('.family-card').dom.textContent.replace(/\s+/g, ' ')
  expect(card).toContain('剩余 3 次 / 共 4 次')
  expect(card).toContain('有效期至 2099年6月30日')
  expect(card).toContain('2026年11月2日')
  expect(card).toContain('李*')
})

test('a card past its day says so', async () => {
  const { page } = await open({ 'GET /me/family': ok({ ...family, card: { ...family.card, valid_until: '2020-01-31', used: [] } }) })
  const card = page.querySelector('.family-card').dom.textContent
  expect(card).toContain('已于 2020年1月31日 到期')
  expect(card).toContain('还没有用过')
})

test('a household without a card says where to get one', async () => {
  const { page } = await open({ 'GET /me/family': ok({ ...family, card: null }) })
  expect(page.querySelector('.family-card')).toBeFalsy()
  expect(text(page)).toContain('家里还没有家庭洁牙卡')
})

test('a member the patient looks after opens their page; the others do not', async () => {
  const { page, wx } = await open({ 'GET /me/family': ok(family) })
  await tap(page, '.member-2')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/family/member?id=p-baby' })
  wx.navigateTo.mockClear()
  await tap(page, '.member-1') // cares for me, but I do nothing for them
  await tap(page, '.member-0') // me
  expect(wx.navigateTo).not.toHaveBeenCalled()
})

test('not in a family: says what a household is for and offers inviting and 添加孩子', async () => {
  const { page } = await open({ 'GET /me/family': ok({ family_id: null, members: [], card: null }) })
  const shown = text(page)
  expect(shown).toContain('您还没有加入家庭')
  expect(shown).toContain('每位成年家人都由自己决定')
  expect(page.querySelector('.invite')).toBeTruthy()
  expect(page.querySelector('.add-child')).toBeTruthy()
  expect(page.querySelector('.leave')).toBeFalsy()
  expect(page.querySelector('.carers')).toBeFalsy()
})

test('an invite kept from before 建档 is offered when not in a family', async () => {
  const api = fakeApi({ 'GET /me/family': ok({ family_id: null, members: [], card: null }) })
  const wx = installWx(api)
  signIn(wx)
  wx.storage.set('revisit.familyCode', 'AB12CD34')
  const page = renderAt('packages/family/index')
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('您打开过一位家人发来的邀请')
  await tap(page, '.join-kept')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/family/join?code=AB12CD34' })
})

test('inviting: the relation must be chosen, then one POST; the code is shown grouped with a QR code and shared', async () => {
  const invite = { code: 'AB12CD34', expires_at: '2026-12-07T09:30:00Z', path: 'packages/family/join?code=AB12CD34' }
  const { page, api } = await open({ 'GET /me/family': ok(family), 'POST /me/family/invites': ok(invite, 201) })
  await tap(page, '.invite')
  expect(text(page)).toContain('这位家人是您的什么人？')
  await tap(page, '.create-invite')
  expect(text(page)).toContain('请先选择这位家人是您的什么人')
  expect(api.called('POST /me/family/invites')).toHaveLength(0)
  await tap(page, '.relation-parent', '.t-radio')
  await tap(page, '.create-invite')
  const sent = api.called('POST /me/family/invites')
  expect(sent).toHaveLength(1)
  expect(sent[0].data).toEqual({ relation: 'parent' })
  const card = page.querySelector('.invite-card').dom.textContent.replace(/\s+/g, ' ')
  expect(card).toContain('邀请父母加入家庭')
  expect(groups(page)).toEqual(['AB12', 'CD34'])
  expect(card).toContain('只能用一次')
  expect(page.querySelector('.qrcode').data.value).toBe('packages/family/join?code=AB12CD34')
  expect(page.querySelector('.share')).toBeTruthy()
  expect(page.instance.onShareAppMessage().path).toBe('/packages/family/join?code=AB12CD34')
})

test('a failed invite says why; trying again asks once more', async () => {
  let answer = { fail: 'request:fail' }
  const invite = { code: 'AB12CD34', expires_at: '2026-12-07T09:30:00Z', path: 'packages/family/join?code=AB12CD34' }
  const { page, api } = await open({ 'GET /me/family': ok(family), 'POST /me/family/invites': () => answer })
  await tap(page, '.invite')
  await tap(page, '.relation-spouse', '.t-radio')
  await tap(page, '.create-invite')
  expect(text(page)).toContain('网络不太顺畅')
  answer = ok(invite, 201)
  await tap(page, '.create-invite')
  const sent = api.called('POST /me/family/invites')
  expect(sent).toHaveLength(2)
  expect(sent[1].data).toEqual({ relation: 'spouse' })
  expect(groups(page)).toEqual(['AB12', 'CD34'])
})

test('添加孩子 and 谁可以照护我 open their pages', async () => {
  const { page, wx } = await open({ 'GET /me/family': ok(family) })
  await tap(page, '.add-child')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/family/child' })
  await tap(page, '.carers')
  expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/packages/family/carers' })
})

test('leaving asks first, then DELETE /me/family, whose answer (no household) is shown', async () => {
  const { page, api, wx } = await open({ 'GET /me/family': ok(family),
    'DELETE /me/family': ok({ family_id: null, members: [], card: null }) })
  await tap(page, '.leave')
  expect(wx.showModal).toHaveBeenCalledTimes(1)
  expect(wx.showModal.mock.calls[0][0].title).toBe('退出家庭？')
  await settle()
  expect(api.called('DELETE /me/family')).toHaveLength(1)
  expect(api.called('GET /me/family')).toHaveLength(1)
  expect(text(page)).toContain('您还没有加入家庭')
  expect(page.querySelector('.family-card')).toBeFalsy()
})

test('not leaving sends nothing', async () => {
  const { page, api } = await open({ 'GET /me/family': ok(family) },
    { showModal: jest.fn((o) => o.success({ confirm: false, cancel: true })) })
  await tap(page, '.leave')
  expect(api.called('DELETE /me/family')).toHaveLength(0)
  expect(text(page)).toContain('家庭成员')
})

test('a carer of a child cannot leave: the refusal is explained', async () => {
  const { page } = await open({ 'GET /me/family': ok(family), 'DELETE /me/family': fail('has_dependants', 409) })
  await tap(page, '.leave')
  await settle()
  expect(page.querySelector('.leave-error').dom.textContent).toContain('您还在照护家里未成年的孩子')
  expect(text(page)).not.toContain('has_dependants')
  expect(text(page)).toContain('家庭成员')
})

test('a failed load offers a retry; a lost session goes back to launch', async () => {
  let answer = { fail: 'request:fail timeout' }
  const { page, wx } = await open({ 'GET /me/family': () => answer })
  expect(text(page)).toContain('请求超时了')
  answer = ok(family)
  await tap(page, '.retry')
  expect(text(page)).toContain('家庭成员')
  const second = await open({ 'GET /me/family': fail('session_revoked', 401) })
  expect(second.wx.reLaunch).toHaveBeenCalledWith({ url: '/pages/launch/index' })
  expect(wx.reLaunch).not.toHaveBeenCalled()
})
