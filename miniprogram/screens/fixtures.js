/**
 * Demo data for the page pictures (scripts/screens.js): what the fake API answers and what is kept
 * on the phone when each page is drawn. One patient throughout: 王芳, diabetic, on a 4-day glucose
 * streak, 120 points, one voucher, one unread reminder.
 *
 * `pages` has an entry for EVERY page of app.json (the script stops and names the pages that have
 * none). An entry is one picture or a list of them; each picture may set:
 *   name      the PNG's name (default: the page's folder, `pages/home/index` -> home)
 *   signedIn  false to start without a session (default: signed in, registered)
 *   routes    answers for this picture only, over `api` below ('METHOD /path': reply or function)
 *   hold      true: the API never answers (the page stays in its loading state)
 *   storage   extra wx storage, e.g. { care_mode: 'on' } for 关怀模式
 *   query     what onLoad receives
 *   steps     what the patient does first: ['type', selector, text] or ['tap', selector]
 */
const ok = (body, status = 200) => ({ status, body })

/** The moment every picture is taken at (the pages show times of day in the phone's zone). */
const NOW = '2026-12-06T09:30:00+08:00'

const patient = {
  patient_id: 'p-demo', name: '王芳', phone: '13812345678', birth_year: 1962, sex: 'female', district: null,
  conditions: ['diabetes'], department: null, persona_tags: [], balance: 120, earned_total: 150,
  created_at: '2026-11-01T02:00:00Z', last_visit_date: '2026-11-20', revisit_due_date: '2026-12-20',
}

const streak = {
  joined_on: '2026-11-10', current_streak: 4, streak_start: '2026-12-03', grace_used: 0, days_to_go: 3,
  last_day: '2026-12-06', best_streak: 6, streaks_completed: 1, rewards: [],
}

const challenges = [
  { challenge_id: 'ch-glucose', name: '控糖7天打卡', name_en: null, checkin_type: 'glucose', days: 7, grace: 1,
    reward: {}, start_date: '2026-11-01', end_date: '2027-01-31', joined: true, open: true, progress: streak },
]

const inbox = [
  { message_id: 'm-3', title: '复诊提醒：12月20日上午', body: '王芳您好，您的复诊时间是12月20日上午9:00，请带上血糖记录本。',
    purpose: 'service', created_at: '2026-12-06T00:30:00Z', read_at: null },
  { message_id: 'm-2', title: '您有一张体检优惠券', body: '凭券到前台可享糖化血红蛋白检测八折，12月31日前有效。',
    purpose: 'marketing', created_at: '2026-12-03T02:00:00Z', read_at: '2026-12-03T03:00:00Z' },
  { message_id: 'm-1', title: '餐后血糖怎么测更准', body: '从吃第一口饭开始计时，两小时后测量。',
    purpose: 'service', created_at: '2026-11-28T01:00:00Z', read_at: '2026-11-28T05:00:00Z' },
]

const voucher = {
  voucher_id: 'v-demo', code: 'RV7K29QD', kind: 'exam_discount', name: '糖化血红蛋白检测八折券', name_en: null,
  status: 'issued', issued_at: '2026-12-02T03:00:00Z', valid_until: '2026-12-31', expires_at: '2026-12-31T15:59:59Z',
  redeemed_at: null, source: 'challenge',
}

/** The demo API: every route a page may ask, answered as the real API would for this patient. */
const api = {
  'POST /auth/wechat/login': ok({ access_token: 'demo-access', refresh_token: 'demo-refresh', expires_in: 3600,
    patient_id: patient.patient_id, registered: true }),
  'GET /me': ok({ patient }),
  'GET /me/challenges': ok({ items: challenges }),
  'GET /me/inbox': ok({ items: inbox, unread: inbox.filter((m) => !m.read_at).length }),
  'POST /me/inbox/m-3/read': ok({ message: { ...inbox[0], read_at: '2026-12-06T01:31:00Z' } }),
  'POST /me/checkins': ok({
    checkin: { checkin_id: 'ck-demo', type: 'glucose', value: 6.8, local_date: '2026-12-06', counted: true },
    points_awarded: 10, balance: patient.balance + 10,
    challenges: [{ challenge_id: 'ch-glucose', name: '控糖7天打卡', current_streak: 5, days: 7, streaks_completed: 1, completed_now: 0 }],
  }),
  'GET /me/vouchers': ok({ items: [voucher] }),
}

const care = { care_mode: 'on' }

const pages = {
  'pages/launch/index': { signedIn: false, hold: true },
  'pages/home/index': [
    {},
    { name: 'home-care', storage: care },
    { name: 'home-error', routes: { 'GET /me': { fail: 'request:fail timeout' } } },
  ],
  'pages/checkin/index': [
    { steps: [['type', '.value', '6.8'], ['tap', '.meal-fasting', '.t-radio']] },
    { name: 'checkin-done', steps: [['type', '.value', '6.8'], ['tap', '.meal-fasting', '.t-radio'], ['tap', '.submit']] },
    { name: 'checkin-care', storage: care, steps: [['type', '.value', '6.8'], ['tap', '.meal-fasting', '.t-radio']] },
  ],
  'pages/messages/index': { steps: [['tap', '.message-0']] },
  'pages/me/index': {},
  'pages/register/index': {
    signedIn: false,
    steps: [['type', '.name', '王芳'], ['type', '.phone', '13812345678'], ['tap', '.condition-diabetes', '.t-checkbox'],
      ['tap', '.consent-service', '.t-checkbox']],
  },
  'pages/privacy/index': {},
  'packages/more/about/index': {},
}

module.exports = { NOW, api, pages, patient, voucher }
