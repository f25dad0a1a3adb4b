// utils/subscribe: askSubscribe(moment), used directly (no page) with the fake wx.
const path = require('path')
const { BUILD, fakeApi, installWx, ok, fail, signIn, fakeSubscribe } = require('./helpers')

const { askSubscribe, canAsk, MOMENT_KINDS } = require(path.join(BUILD, 'utils', 'subscribe'))

const DAY1 = new Date(2026, 11, 6, 9, 30)
const DAY1_LATER = new Date(2026, 11, 6, 20, 0)
const DAY2 = new Date(2026, 11, 7, 9, 30)

const setup = (templates) => ({ clinic: { clinic_id: 'demo-dental', name: '示例诊所' }, conditions: [],
  consent: { version: 'v1', purposes: [] }, privacy_policy: { version: 'v1', text: '' }, subscribe_templates: templates })
const TEMPLATES = [
  { kind: 'recall', template_id: 'tpl-recall', purpose: 'service', title: '复诊提醒' },
  { kind: 'content', template_id: 'tpl-content', purpose: 'marketing', title: '健康内容推送' },
]
const channels = { preferred: null, order: ['wechat', 'inbox', 'sms'], wechat_linked: true, wechat_quota: {}, templates: {} }

function world(routes = {}, answers = { 'tpl-recall': 'accept', 'tpl-content': 'accept' }, failWith = null) {
  const api = fakeApi({ 'GET /me/setup': ok(setup(TEMPLATES)), 'POST /me/subscriptions': ok(channels, 201), ...routes })
  const requestSubscribeMessage = fakeSubscribe(answers, failWith)
  const wx = installWx(api, { requestSubscribeMessage })
  signIn(wx)
  return { api, wx, requestSubscribeMessage }
}

test('asks for the templates of the moment and reports each accepted one with its own login code', async () => {
  const { api, wx, requestSubscribeMessage } = world({}, { 'tpl-recall': 'accept', 'tpl-content': 'reject' })
  const recorded = await askSubscribe('checkin', DAY1)
  expect(requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tpl-recall', 'tpl-content'])
  expect(recorded).toEqual(['tpl-recall'])
  expect(api.called('POST /me/subscriptions').map((c) => c.data)).toEqual([{ template_id: 'tpl-recall', code: 'wx-test' }])
  expect(wx.login).toHaveBeenCalledTimes(1)
})

test('two accepted templates are two reports, each with a fresh code', async () => {
  const { api, wx } = world()
  expect(await askSubscribe('reminder', DAY1)).toEqual(['tpl-recall', 'tpl-content'])
  expect(api.called('POST /me/subscriptions')).toHaveLength(2)
  expect(wx.login).toHaveBeenCalledTimes(2)
})

test('booking asks for recall reminders only', async () => {
  expect(MOMENT_KINDS.booking).toEqual(['recall'])
  const { requestSubscribeMessage } = world()
  await askSubscribe('booking', DAY1)
  expect(requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tpl-recall'])
})

test('at most once per moment per day, whatever the answer; the next day it may ask again', async () => {
  const { api, requestSubscribeMessage } = world({}, { 'tpl-recall': 'reject', 'tpl-content': 'reject' })
  expect(await askSubscribe('checkin', DAY1)).toEqual([])
  expect(canAsk('checkin', DAY1_LATER)).toBe(false)
  expect(await askSubscribe('checkin', DAY1_LATER)).toEqual([])
  expect(requestSubscribeMessage).toHaveBeenCalledTimes(1)
  expect(canAsk('booking', DAY1_LATER)).toBe(true) // another moment is its own
  await askSubscribe('checkin', DAY2)
  expect(requestSubscribeMessage).toHaveBeenCalledTimes(2)
  expect(api.called('POST /me/subscriptions')).toHaveLength(0)
})

test("the clinic's templates are read once and kept", async () => {
  const { api } = world()
  await askSubscribe('checkin', DAY1)
  await askSubscribe('booking', DAY1_LATER)
  expect(api.called('GET /me/setup')).toHaveLength(1)
})

test('a closed dialog, a failed report or a failed setup read are swallowed quietly', async () => {
  const closed = world({}, {}, 'requestSubscribeMessage:fail cancel')
  await expect(askSubscribe('checkin', DAY1)).resolves.toEqual([])
  expect(closed.api.called('POST /me/subscriptions')).toHaveLength(0)

  world({ 'POST /me/subscriptions': fail('wechat_account_mismatch', 403, 'code') })
  await expect(askSubscribe('checkin', DAY1)).resolves.toEqual([])

  const noSetup = world({ 'GET /me/setup': { fail: 'request:fail' } })
  await expect(askSubscribe('checkin', DAY1)).resolves.toEqual([])
  expect(noSetup.requestSubscribeMessage).not.toHaveBeenCalled()
  expect(canAsk('checkin', DAY1)).toBe(true) // nothing was asked, so it may ask later
})

test('a clinic with no template for the moment asks nothing', async () => {
  const { requestSubscribeMessage } = world({ 'GET /me/setup': ok(setup([])) })
  expect(await askSubscribe('checkin', DAY1)).toEqual([])
  expect(requestSubscribeMessage).not.toHaveBeenCalled()
})
