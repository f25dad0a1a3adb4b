// An article a content step links to, shown in a web-view. WeChat opens only https pages of the
// business domains the clinic listed (docs/miniprogram.md); anything else is refused here.
import { careMode } from '../../../utils/care'

export function articleUrl(raw: string | undefined): string {
  const url = decodeURIComponent(raw || '')
  return /^https:\/\/[^\s/]+\.[^\s]+$/.test(url) ? url : ''
}

Component({
  behaviors: [careMode],
  data: { url: '', error: '' },
  methods: {
    onLoad(query: Record<string, string | undefined>) {
      const url = articleUrl(query.url)
      if (query.title) wx.setNavigationBarTitle({ title: decodeURIComponent(query.title) })
      this.setData(url ? { url } : { error: '这篇文章暂时打不开，请到诊所前台咨询' })
    },
    onBack() {
      wx.navigateBack({ delta: 1 })
    },
  },
})
