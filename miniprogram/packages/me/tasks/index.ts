// 任务与徽章: the health tasks the clinic set (with progress), the badges earned, and the perks
// the badges unlock (such as priority booking). No clinical value is shown, only what to do.
import { getTasks, TasksReply, TaskView } from '../../../api/index'
import { loadInto } from '../../../utils/page'
import { careMode } from '../../../utils/care'

const STATUS_TEXT: Record<string, string> = { active: '进行中', completed: '已完成', expired: '已结束' }

/** "2026-12-06" -> "12月6日" */
export function dayText(day: string | null | undefined): string {
  const m = /^\d{4}-(\d{2})-(\d{2})/.exec(day || '')
  return m ? `${Number(m[1])}月${Number(m[2])}日` : ''
}

export function taskRow(t: TaskView) {
  const percent = t.target > 0 ? Math.min(100, Math.round((t.progress / t.target) * 100)) : 0
  let when = ''
  if (t.status === 'active') when = t.days_left > 0 ? `还剩 ${t.days_left} 天` : '今天截止'
  else if (t.status === 'completed') when = t.completed_on ? `${dayText(t.completed_on)}完成` : ''
  else when = `${dayText(t.due_on)}已结束`
  return {
    id: t.task_id,
    name: t.name,
    status: t.status,
    statusText: STATUS_TEXT[t.status] || '',
    progressText: `${Math.min(t.progress, t.target)} / ${t.target}`,
    percent,
    when,
    badge: t.badge.name,
  }
}

export function tasksView(reply: TasksReply) {
  const earned = reply.badges.length
  return {
    tasks: reply.tasks.map(taskRow),
    badges: reply.badges.map((b) => ({ id: `${b.badge_id}-${b.task_id}`, name: b.name, when: dayText(b.earned_on) })),
    perks: reply.perks.map((p) => ({
      id: p.perk_id,
      name: p.name,
      unlocked: p.unlocked,
      need: p.unlocked ? '' : `还差 ${Math.max(p.badges_required - earned, 1)} 枚徽章解锁`,
    })),
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    tasks: [] as ReturnType<typeof taskRow>[],
    badges: [] as { id: string; name: string; when: string }[],
    perks: [] as { id: string; name: string; unlocked: boolean; need: string }[],
  },
  methods: {
    onLoad() {
      this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    load() {
      return loadInto(this, async () => tasksView(await getTasks()))
    },
  },
})
