// 我的数据: export everything the clinic holds (readable sections, or all of it copied to the
// clipboard), and 注销账号 with a two-step confirmation (what is deleted, that it cannot be undone).
import { deleteAccount, ExportReply, exportMyData, loadSetup, Setup, toApiError } from '../../../api/index'
import { pageError, shortTime } from '../../../utils/page'
import { careMode } from '../../../utils/care'

/** The record kinds of the export (its `records` keys) in plain words. */
export const RECORD_LABELS: Record<string, string> = {
  checkin: '打卡记录',
  daymark: '打卡日历',
  visit: '就诊记录',
  due: '复诊计划',
  cond: '病种',
  consentlog: '授权变更记录',
  ledger: '积分明细',
  lot: '积分批次',
  reward: '礼品兑换',
  rlimit: '兑换次数',
  redeem: '兑换记录',
  task: '健康任务',
  badge: '徽章',
  pkg: '套餐',
  ch: '消息设置',
  out: '消息发送记录',
  cap: '消息频次记录',
  seg: '分组记录',
  expo: '活动参与记录',
  risk: '复诊提醒评估',
  followup: '随访记录',
  fuout: '随访结果',
  challenge: '挑战记录',
}

interface Line {
  label: string
  value: string
}

interface Section {
  title: string
  lines: Line[]
}

const PURPOSE_TITLES: Record<string, string> = { service: '诊疗服务', marketing: '活动与优惠信息', analytics: '服务改进分析' }

/** The export as sections a patient can read: profile, consents, and how many records of each kind. */
export function exportSections(data: ExportReply, setup: Setup | null): Section[] {
  const p = data.profile
  const labelOf = (code: string) => (setup && setup.conditions.find((c) => c.code === code)?.label) || '其他'
  const profile: Line[] = [
    { label: '姓名', value: p.name },
    { label: '手机号', value: p.phone },
    { label: '昵称', value: p.nickname || '未填写' },
    { label: '出生年份', value: p.birth_year ? String(p.birth_year) : '未填写' },
    { label: '所在区域', value: p.district || '未填写' },
    { label: '病种', value: p.conditions.length ? p.conditions.map(labelOf).join('、') : '未填写' },
    { label: '积分', value: String(p.balance) },
    { label: '建档时间', value: shortTime(p.created_at) || p.created_at },
  ]
  const titleOf = (purpose: string) =>
    (setup && setup.purposes.find((x) => x.purpose === purpose)?.title) || PURPOSE_TITLES[purpose] || '其他用途'
  const consents: Line[] = (['service', 'marketing', 'analytics'] as const).map((purpose) => {
    const state = data.consents[purpose]
    const value = !state ? '尚未选择' : `${state.granted ? '已同意' : '已撤回'} · ${shortTime(state.at)}`
    return { label: titleOf(purpose), value }
  })
  const counts = new Map<string, number>()
  Object.keys(data.records).forEach((kind) => {
    const label = RECORD_LABELS[kind] || '其他记录'
    counts.set(label, (counts.get(label) || 0) + data.records[kind].length)
  })
  const records: Line[] = Array.from(counts, ([label, n]) => ({ label, value: `${n} 条` }))
  return [
    { title: '个人资料', lines: profile },
    { title: '授权情况', lines: consents },
    { title: '各类记录', lines: records.length ? records : [{ label: '记录', value: '暂无' }] },
  ]
}

Component({
  behaviors: [careMode],
  data: {
    part: 'export' as 'export' | 'delete',
    // export
    exporting: false,
    exportError: '',
    sections: [] as Section[],
    // delete
    step: 1,
    deleting: false,
    deleteError: '',
  },
  methods: {
    onLoad(query: { part?: string }) {
      const part = query && query.part === 'delete' ? 'delete' : 'export'
      this.setData({ part })
      if (typeof wx.setNavigationBarTitle === 'function') {
        wx.setNavigationBarTitle({ title: part === 'delete' ? '注销账号' : '导出我的数据' })
      }
    },
    async onExport() {
      if (this.data.exporting) return
      this.setData({ exporting: true, exportError: '' })
      try {
        const [data, setup] = await Promise.all([exportMyData(), loadSetup().catch(() => null)])
        ;(this as unknown as { exported: ExportReply }).exported = data
        this.setData({ exporting: false, sections: exportSections(data, setup) })
      } catch (e) {
        this.setData({ exporting: false, exportError: pageError(e).message })
      }
    },
    onCopy() {
      const data = (this as unknown as { exported?: ExportReply }).exported
      if (!data) return
      wx.setClipboardData({
        data: JSON.stringify(data, null, 2),
        success: () => wx.showToast({ title: '已复制，可粘贴保存', icon: 'none' }),
      })
    },
    onDeleteStart() {
      this.setData({ step: 2, deleteError: '' })
    },
    onDeleteCancel() {
      this.setData({ step: 1, deleteError: '' })
    },
    async onDeleteConfirm() {
      if (this.data.deleting) return
      this.setData({ deleting: true, deleteError: '' })
      try {
        await deleteAccount()
        this.setData({ deleting: false })
        wx.showToast({ title: '账号已注销', icon: 'success' })
        wx.reLaunch({ url: '/pages/launch/index' })
      } catch (e) {
        this.setData({ deleting: false, deleteError: toApiError(pageError(e)).message })
      }
    },
  },
})
