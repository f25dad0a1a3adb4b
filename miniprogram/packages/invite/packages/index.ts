// 我的会员套餐: each package with its term, days left and whether it was renewed (GET /me/packages).
import { getMyPackages, PackageItem } from '../../../api/index'
import { loadInto } from '../../../utils/page'
import { careMode } from '../../../utils/care'

const DAY_MS = 24 * 3600 * 1000

function dayText(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso)
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : ''
}

function localToday(now: Date): number {
  return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate())
}

/** A package as the patient reads it; `now` is the phone's clock. */
export function packageRow(item: PackageItem, now: Date) {
  const end = Date.parse(`${item.end_date}T00:00:00Z`)
  const daysLeft = Number.isNaN(end) ? 0 : Math.round((end - localToday(now)) / DAY_MS)
  let state: string
  if (item.state === 'upcoming') state = `${dayText(item.start_date)}开始`
  else if (item.state === 'ended') state = '已到期'
  else state = daysLeft > 0 ? `还剩 ${daysLeft} 天` : '今天到期'
  let renewal = ''
  if (item.renewed_by) renewal = '已续费'
  else if (item.state !== 'ended' && daysLeft <= 30) renewal = '快到期了，可以到前台续费'
  else if (item.state === 'ended') renewal = '需要的话，可以到前台续费'
  return {
    sale_id: item.sale_id,
    name: item.name,
    term: `${dayText(item.start_date)} 至 ${dayText(item.end_date)}`,
    state,
    renewal,
    renewedFrom: item.renewal_of ? '续费套餐' : '',
    ended: item.state === 'ended',
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    items: [] as ReturnType<typeof packageRow>[],
  },
  methods: {
    onLoad() {
      this.load()
    },
    load() {
      return loadInto(this, async () => {
        const reply = await getMyPackages()
        const now = new Date()
        // active first, then upcoming, then ended
        const order: Record<string, number> = { active: 0, upcoming: 1, ended: 2 }
        const items = reply.items.slice().sort((a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3))
        return { items: items.map((item) => packageRow(item, now)) }
      })
    },
  },
})
