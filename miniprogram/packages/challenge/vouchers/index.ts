// 我的奖励券 (subpackage `challenge`): the vouchers the patient won, newest first. Each shows its code
// in groups of four (easy to read aloud to the desk) and a QR code the desk can scan, with its validity.
import { getMyVouchers, VoucherItem } from '../../../api/index'
import { pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import { dateText } from '../../../pages/challenges/terms'

const STATUS: Record<string, string> = {
  issued: '可使用',
  redeemed: '已使用',
  expired: '已过期',
}

/** "ABCD-EFGH" (or "abcdefgh") -> ["ABCD", "EFGH"]: groups of four, read aloud one group at a time. */
export function codeGroups(code: string): string[] {
  const plain = code.replace(/[\s-]/g, '').toUpperCase()
  return plain.match(/.{1,4}/g) || []
}

interface Row {
  id: string
  name: string
  groups: string[]
  qr: string
  status: string
  statusText: string
  usable: boolean
  validity: string
}

function rowOf(v: VoucherItem): Row {
  const groups = codeGroups(v.code)
  const validity = v.status === 'redeemed'
    ? `已于 ${dateText(v.redeemed_at)} 使用`
    : v.status === 'expired' ? `有效期到 ${dateText(v.valid_until)}，已过期` : `有效期至 ${dateText(v.valid_until)}（当天有效）`
  return {
    id: v.voucher_id,
    name: v.name,
    groups,
    qr: groups.join('-'),
    status: v.status,
    statusText: STATUS[v.status] || '不可使用',
    usable: v.status === 'issued',
    validity,
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    items: [] as Row[],
  },
  methods: {
    onLoad() {
      this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: !this.data.items.length, error: '' })
      try {
        const { items } = await getMyVouchers()
        // Usable vouchers first (newest first, as the API gives them), then used and expired ones.
        const rows = items.map(rowOf)
        this.setData({ loading: false, items: [...rows.filter((r) => r.usable), ...rows.filter((r) => !r.usable)] })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
  },
})
