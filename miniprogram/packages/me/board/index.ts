// 本月榜单: this month's board on behaviour (points earned by check-ins, visits, tasks; never a
// clinical value), names masked by the API, the patient's own row highlighted, and the choice to
// stay off the board.
import { BoardReply, getBoard, setBoardVisibility, toApiError } from '../../../api/index'
import { loadInto, pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'

/** "2026-12" -> "2026年12月" */
export function monthText(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  return m ? `${m[1]}年${Number(m[2])}月` : ''
}

export function boardView(reply: BoardReply) {
  const me = reply.me || null
  let mine = ''
  if (me && !me.visible) mine = `您已选择不上榜。本月您得了 ${me.score} 分。`
  else if (me && me.rank) mine = `您本月 ${me.score} 分，排第 ${me.rank} 名。`
  else if (me) mine = `您本月 ${me.score} 分。按时打卡、复诊，就能上榜。`
  return {
    month: monthText(reply.month),
    rows: reply.items.map((r) => ({ rank: r.rank, name: r.name_masked, score: r.score, mine: !!r.me })),
    mine,
    visible: me ? me.visible : true,
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    saving: false,
    saveError: '',
    month: '',
    rows: [] as { rank: number; name: string; score: number; mine: boolean }[],
    mine: '',
    visible: true,
  },
  methods: {
    onLoad() {
      this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    load() {
      return loadInto(this, async () => boardView(await getBoard()))
    },
    async onVisibleChange(e: WechatMiniprogram.CustomEvent<{ value: boolean }>) {
      if (this.data.saving) return
      const visible = !!e.detail.value
      const before = this.data.visible
      this.setData({ saving: true, saveError: '', visible })
      try {
        await setBoardVisibility(visible)
        const reply = await getBoard()
        this.setData({ saving: false, ...boardView(reply) })
        wx.showToast({ title: visible ? '已在榜单上显示' : '已不在榜单上显示', icon: 'none' })
      } catch (err) {
        this.setData({ saving: false, visible: before, saveError: toApiError(pageError(err)).message })
      }
    },
  },
})
