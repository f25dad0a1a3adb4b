// 隐私政策: the policy text and its version (from loadSetup: a local constant until GET /me/setup).
import { loadSetup, Setup, toApiError } from '../../api/index'
import { careMode } from '../../utils/care'

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    policy: null as Setup['policy'] | null,
  },
  methods: {
    onLoad() {
      this.load()
    },
    async load() {
      this.setData({ loading: true, error: '' })
      try {
        const setup = await loadSetup()
        this.setData({ loading: false, policy: setup.policy })
      } catch (e) {
        this.setData({ loading: false, error: toApiError(e).message })
      }
    },
  },
})
