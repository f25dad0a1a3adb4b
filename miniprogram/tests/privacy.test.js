const { fakeApi, installWx, renderPage, settle, text } = require('./helpers')
const setup = require('../build/api/setup')

const localLoad = setup.setupSource.load
afterEach(() => { setup.setupSource.load = localLoad })

test('shows the policy text and its version', async () => {
  installWx(fakeApi())
  const page = renderPage('privacy')
  expect(text(page)).toContain('加载中')
  page.instance.onLoad()
  await settle()
  const shown = text(page)
  expect(shown).toContain('版本 v1')
  expect(shown).toContain('我们收集哪些信息')
  expect(shown).toContain('每项可以分别同意或撤回')
})

test('an empty policy says so', async () => {
  installWx(fakeApi())
  setup.setupSource.load = jest.fn().mockResolvedValue({ ...setup.LOCAL_SETUP, policy: { version: 'v2', title: 't', sections: [] } })
  const page = renderPage('privacy')
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('暂时没有政策内容')
})

test('a failed load offers a retry', async () => {
  installWx(fakeApi())
  const spy = setup.setupSource.load = jest.fn(localLoad).mockRejectedValueOnce({ code: 'network', message: '网络不太顺畅，请检查网络后再试' })
  const page = renderPage('privacy')
  page.instance.onLoad()
  await settle()
  expect(text(page)).toContain('网络不太顺畅')
  page.instance.load()
  await settle()
  expect(spy).toHaveBeenCalledTimes(2)
  expect(text(page)).toContain('我们收集哪些信息')
})
