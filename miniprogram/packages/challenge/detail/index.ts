// 打卡日历 (subpackage `challenge`): one joined challenge's streak over the recent weeks, the grace
// day used, the days to go and the streaks completed. Opened with ?id=<challenge id>.
import { ChallengeItem, checkinLabels, getCheckins, getMyChallenges, loadCheckinTypes } from '../../../api/index'
import { pageError } from '../../../utils/page'
import { careMode } from '../../../utils/care'
import {
  actionOf, dateText, LABELS_MAX_AGE_MS, progressText, rewardText, shortDate, termsLines, VOUCHERS_URL,
} from '../../../pages/challenges/terms'
import { Day, localToday, streakCalendar } from './calendar'
import { openCheckin } from '../../../utils/checkin'

const CHALLENGES_URL = '/pages/challenges/index'

interface View {
  name: string
  action: string
  /** the challenge's check-in type: 去记录 opens where it is recorded ('' for task sessions, recorded on the home tab) */
  checkinType: string
  streak: number
  days: number
  daysToGo: number
  progress: string
  grace: number
  graceUsed: number
  done: number
  best: number
  ended: boolean
  joinedOn: string
  reward: string
  rewards: Array<{ round: number; span: string; what: string; code: string }>
}

function viewOf(c: ChallengeItem, labels: Record<string, string> = {}): View {
  const p = c.progress!
  return {
    name: c.name,
    action: actionOf(c.checkin_type, labels),
    checkinType: c.checkin_type === 'task' ? '' : c.checkin_type,
    streak: p.current_streak,
    days: c.days,
    daysToGo: p.days_to_go,
    progress: progressText(c, labels),
    grace: c.grace,
    graceUsed: p.grace_used,
    done: p.streaks_completed,
    best: p.best_streak,
    ended: !c.open,
    joinedOn: dateText(p.joined_on),
    reward: rewardText(c.reward),
    rewards: p.rewards.map((r, i) => ({
      round: i + 1,
      span: `${shortDate(r.streak_start)} 至 ${shortDate(r.completed_on)}`,
      what: r.type === 'points' ? `${r.points || 0} 积分` : rewardText(c.reward),
      code: r.code || '',
    })),
  }
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    error: '',
    id: '',
    /** the challenge was not joined (or is gone): its terms, if it is still open */
    notJoined: false,
    terms: [] as string[],
    view: null as View | null,
    weeks: [] as Day[][],
    weekdays: ['一', '二', '三', '四', '五', '六', '日'],
  },
  methods: {
    onLoad(query: Record<string, string | undefined> = {}) {
      this.setData({ id: decodeURIComponent(query.id || '') })
      this.load()
    },
    onPullDownRefresh() {
      this.load().then(() => wx.stopPullDownRefresh())
    },
    async load() {
      this.setData({ loading: !this.data.view, error: '' })
      try {
        // Two reads side by side: the challenge's progress and the check-ins that fill the calendar.
        // (and the clinic's check-in type labels, kept on the phone; without them the built-in words)
        const [challenges, checkins, types] = await Promise.all([getMyChallenges(), getCheckins(), loadCheckinTypes(LABELS_MAX_AGE_MS)])
        const labels = checkinLabels(types)
        const c = challenges.items.find((item) => item.challenge_id === this.data.id)
        if (!c || !c.joined || !c.progress) {
          this.setData({ loading: false, notJoined: true, view: null, terms: c && c.open ? termsLines(c, labels) : [] })
          return
        }
        const recorded = new Set(checkins.items.filter((k) => k.type === c.checkin_type).map((k) => k.local_date))
        this.setData({
          loading: false,
          notJoined: false,
          view: viewOf(c, labels),
          weeks: streakCalendar(c, recorded, localToday()),
        })
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    onChallenges() {
      wx.redirectTo({ url: CHALLENGES_URL })
    },
    onVouchers() {
      wx.navigateTo({ url: VOUCHERS_URL })
    },
    /** 去记录: steps on the WeRun page, a reading on the check-in tab opened on the challenge's type. */
    onRecord() {
      const type = this.data.view ? this.data.view.checkinType : ''
      if (type === 'steps') wx.navigateTo({ url: '/packages/invite/steps/index' })
      else if (type) openCheckin(type)
    },
  },
})
