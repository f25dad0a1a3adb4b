// 关于: what this mini-program is, whose it is, and its version (the `more` subpackage, loaded on demand).
import { loadSetup } from '../../../api/index'
import { careMode } from '../../../utils/care'

export const VERSION = '0.1.0'

Component({
  behaviors: [careMode],
  data: { clinicName: '', version: VERSION },
  methods: {
    async onLoad() {
      try {
        const setup = await loadSetup()
        this.setData({ clinicName: setup.clinicName })
      } catch {
        // the clinic's name is a nicety here: the page reads well without it
      }
    },
    onPrivacy() {
      wx.navigateTo({ url: '/pages/privacy/index' })
    },
  },
})
