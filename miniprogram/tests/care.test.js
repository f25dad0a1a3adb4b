// 关怀模式: a page's root takes the `care` class when the patient chose it, or when WeChat's own
// font size is large and the patient has not chosen; app.wxss styles `.care`.
const { fakeApi, installWx, renderPage, settle } = require('./helpers')
const care = require('../build/utils/care')

function rootClass(page) {
  return page.querySelector('.page').dom.getAttribute('class')
}

test('off by default at the standard font size', async () => {
  installWx(fakeApi(), { getAppBaseInfo: () => ({ SDKVersion: '3.6.0', fontSizeSetting: 17 }) })
  const page = renderPage('privacy')
  await settle()
  expect(care.careEnabled()).toBe(false)
  expect(rootClass(page)).not.toMatch(/\bcare\b/)
})

test('follows a large WeChat font size until the patient chooses', async () => {
  const wx = installWx(fakeApi(), { getAppBaseInfo: () => ({ SDKVersion: '3.6.0', fontSizeSetting: 22 }) })
  const page = renderPage('privacy')
  await settle()
  expect(rootClass(page)).toMatch(/\bcare\b/)
  expect(care.careChosen()).toBe(false)
  care.setCareMode(false)
  expect(wx.storage.get('care_mode')).toBe('off')
  page.triggerPageLifeTime('show')
  await settle()
  expect(rootClass(page)).not.toMatch(/\bcare\b/)
})

test('the patient can switch it on whatever the font size', async () => {
  const wx = installWx(fakeApi(), { getAppBaseInfo: () => ({ SDKVersion: '3.6.0', fontSizeSetting: 16 }) })
  wx.storage.set('care_mode', 'on')
  const page = renderPage('privacy')
  await settle()
  expect(rootClass(page)).toMatch(/\bcare\b/)
})
