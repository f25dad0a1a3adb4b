// packages/messages/article: a content step's article in a web-view, https pages only.
const { fakeApi, installWx, renderAt, settle, text, tap, signIn } = require('./helpers')

function open(query) {
  const wx = installWx(fakeApi(), { setNavigationBarTitle: jest.fn() })
  signIn(wx)
  const page = renderAt('packages/messages/article/index')
  page.instance.onLoad(query)
  return { wx, page }
}

test('an https article is shown with its title', async () => {
  const url = 'https://media.example-clinic.cn/eczema-care'
  const { wx, page } = open({ url: encodeURIComponent(url), title: encodeURIComponent('湿疹护理小贴士') })
  await settle()
  expect(page.instance.data.url).toBe(url)
  expect(wx.setNavigationBarTitle).toHaveBeenCalledWith({ title: '湿疹护理小贴士' })
})

test('anything but an https page is refused kindly', async () => {
  const { wx, page } = open({ url: encodeURIComponent('javascript:alert(1)') })
  await settle()
  expect(page.instance.data.url).toBe('')
  expect(text(page)).toContain('这篇文章暂时打不开')
  await tap(page, '.back')
  expect(wx.navigateBack).toHaveBeenCalled()
})
