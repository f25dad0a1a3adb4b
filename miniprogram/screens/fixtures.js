/**
 * Demo data for the page pictures (scripts/screens.js): what the fake API answers and what is kept
 * on the phone when each page is drawn. One patient throughout: 王芳 (芳姐), diabetic, on a 4-day
 * glucose streak in 365天血糖守护, 120 points (silver), one voucher, one unread reminder, a patient of
 * 齿护口腔门诊部, the clock at 2026-12-06 09:30 Shanghai time.
 *
 * `pages` has an entry for EVERY page of app.json (the script stops and names the pages that have
 * none). An entry is one picture or a list of them; each picture may set:
 *   name      the PNG's name (default: the page's folder, `pages/home/index` -> home); a page with
 *             several pictures keeps the default name for one of them (the test looks for it)
 *   signedIn  false to start without a session (default: signed in, registered)
 *   routes    answers for this picture only, over `api` below ('METHOD /path': reply or function)
 *   hold      true: the API never answers (the page stays in its loading state)
 *   storage   extra wx storage, e.g. { care_mode: 'on' } for 关怀模式
 *   query     what onLoad receives (the page's query string as an object, e.g. { id: '...' })
 *   steps     what the patient does first: ['type', selector, text] or ['tap', selector]
 */
const { setupReply } = require('../tests/setup-replies')

const ok = (body, status = 200) => ({ status, body })

/** The moment every picture is taken at (the pages show times of day in the phone's zone). */
const NOW = '2026-12-06T09:30:00+08:00'
const TODAY = '2026-12-06'

// ---------------------------------------------------------------- the clinic

const clinic = { clinic_id: 'demo-dental', name: '齿护口腔门诊部' }

/** GET /me/setup (SetupReply): what registration, the privacy policy, consents and data pages read. */
const setup = setupReply({
  clinic,
  // the clinic's check-in types (the defaults and a 体重 of its own): what the check-in page offers
  checkin_types: [
    { code: 'glucose', label: '血糖', unit: 'mmol/L', input: 'number', low: 1, high: 50, places: 1 },
    { code: 'steps', label: '步数', unit: 'steps', input: 'number', low: 0, high: 100000, places: 0 },
    { code: 'task', label: '任务', unit: 'times', input: 'number', low: 1, high: 100, places: 0 },
    { code: 'blood_pressure', label: '血压', unit: 'mmHg', input: 'blood_pressure', low: 50, high: 260, places: 0,
      low2: 30, high2: 160 },
    { code: 'weight', label: '体重', unit: 'kg', input: 'number', low: 20, high: 250, places: 1 },
  ],
  conditions: [
    { condition: 'diabetes', label: '糖尿病' }, { condition: 'hypertension', label: '高血压' },
    { condition: 'dental', label: '口腔' }, { condition: 'health_check', label: '体检' },
  ],
  privacy_policy: {
    version: 'v1',
    text: '齿护口腔门诊部隐私政策\n\n本政策说明复诊小助手如何收集、使用和保护您的个人信息。\n\n'
      + '一、我们收集哪些信息\n您填写的姓名、手机号、出生年份和病种，以及您上传的血糖、血压、步数等打卡记录。\n\n'
      + '二、我们如何使用\n仅按您同意的用途使用：诊疗服务、健康活动与优惠、服务改进，每项可以分别同意或撤回。\n\n'
      + '三、保存与删除\n您可以随时在“我的”里导出自己的数据或注销账号。\n\n'
      + '四、联系我们\n如有疑问，请联系诊所前台：021-6288 1234。\n',
  },
})

// ---------------------------------------------------------------- the patient

const patient = {
  patient_id: 'p-demo', name: '王芳', phone: '13812345678', birth_year: 1962, sex: 'female', district: '徐汇区',
  conditions: ['diabetes'], department: null, persona_tags: [], balance: 120, earned_total: 230,
  created_at: '2026-11-01T02:00:00Z', last_visit_date: '2026-11-20', revisit_due_date: '2026-12-20',
  nickname: '芳姐', phone_verified: true, next_booking_date: null,
}

const consents = {
  service: { granted: true, version: 'v1', at: '2026-11-01T02:00:00Z' },
  marketing: { granted: true, version: 'v1', at: '2026-11-01T02:00:00Z' },
  analytics: null,
}

// 我的授权 when the marketing consent was given under an earlier text (v0): the text agreed to then
// (GET /consent-texts/v0) opened under the current one
const olderConsents = { ...consents, marketing: { granted: true, version: 'v0', at: '2025-06-10T03:20:00Z' } }
const consentTextsV0 = {
  version: 'v0',
  purposes: [
    { purpose: 'service', title: '诊疗服务', text: '用于建档和复诊提醒。', required: true },
    { purpose: 'marketing', title: '活动通知', text: '向您发送诊所的义诊和讲座通知。可随时在“我的”里关闭。', required: false },
  ],
}

// ---------------------------------------------------------------- challenges, check-ins, the voucher

const CHALLENGE_ID = 'glucose-guard-365'

const voucher = {
  voucher_id: 'v-demo', code: 'RV7K29QD', kind: 'glucose-test', name: '免费血糖检测券', name_en: 'Free glucose test',
  status: 'issued', issued_at: '2026-11-29T12:00:00Z', valid_until: '2026-12-29', expires_at: '2026-12-29T15:59:59Z',
  redeemed_at: null, source: 'challenge',
}

const streak = {
  joined_on: '2026-11-20', current_streak: 4, streak_start: '2026-12-03', grace_used: 0, days_to_go: 3,
  last_day: TODAY, best_streak: 7, streaks_completed: 1,
  rewards: [{ streak_start: '2026-11-23', completed_on: '2026-11-29', earned_on: '2026-11-29', type: 'voucher',
    voucher_id: voucher.voucher_id, code: voucher.code, points: null }],
}

const glucoseReward = { type: 'voucher', voucher_kind: 'glucose-test', voucher_name: '免费血糖检测券',
  voucher_name_en: 'Free glucose test', valid_days: 30, points: null }

const challenges = [
  { challenge_id: CHALLENGE_ID, name: '365天血糖守护', name_en: '365-day glucose guard', checkin_type: 'glucose', days: 7,
    grace: 1, reward: glucoseReward, start_date: '2026-01-01', end_date: '2026-12-31', joined: true, open: true,
    progress: streak },
  { challenge_id: 'steps-21', name: '冬季健步21天', name_en: 'Winter walk, 21 days', checkin_type: 'steps', days: 21,
    grace: 2, reward: { type: 'points', voucher_kind: null, voucher_name: null, voucher_name_en: null, valid_days: null, points: 50 },
    start_date: '2026-12-01', end_date: '2027-02-28', joined: false, open: true, progress: null },
]

const glucoseAt = (day, value, time = '07:40') => ({ checkin_id: `ck-${day}`, type: 'glucose', value, local_date: day,
  client_time: `${day}T${time}:00+08:00`, counted: true })

/** GET /me/checkins: glucose on the finished streak (11-23 .. 11-29) and the running one (12-03 .. today). */
const checkins = [
  glucoseAt('2026-12-06', 6.8), glucoseAt('2026-12-05', 7.1), glucoseAt('2026-12-04', 6.5), glucoseAt('2026-12-03', 7.4),
  glucoseAt('2026-11-29', 6.9), glucoseAt('2026-11-28', 7.2), glucoseAt('2026-11-27', 6.6), glucoseAt('2026-11-26', 7.0),
  glucoseAt('2026-11-25', 6.4), glucoseAt('2026-11-24', 7.3), glucoseAt('2026-11-23', 6.8), glucoseAt('2026-11-21', 7.8),
]

// ---------------------------------------------------------------- messages

const inbox = [
  { message_id: 'm-3', title: '复诊提醒：12月20日上午', body: '王芳您好，您的复诊时间是12月20日上午9:00，请带上血糖记录本。',
    purpose: 'service', created_at: '2026-12-06T00:30:00Z', read_at: null, kind: 'reminder', media: null, link: null },
  { message_id: 'm-2', title: '您有一张免费血糖检测券', body: '恭喜您完成7天血糖打卡！凭券到前台可免费测一次血糖，12月29日前有效。',
    purpose: 'service', created_at: '2026-11-29T12:00:00Z', read_at: '2026-11-30T01:00:00Z', kind: 'reminder', media: null,
    link: null },
  { message_id: 'm-1', title: '餐后血糖怎么测更准', body: '从吃第一口饭开始计时，两小时后测量。\n仅供参考，不构成医疗诊断',
    purpose: 'service', created_at: '2026-11-28T01:00:00Z', read_at: '2026-11-28T05:00:00Z', kind: 'content', media: 'link',
    link: 'https://media.example-clinic.cn/glucose-after-meal' },
]

// ---------------------------------------------------------------- tasks, points, rewards

const glucoseTask = {
  task_id: 't-glucose', task_key: 'glucose-3-weekly', flag: 'hba1c_high', exam_id: 'e-1120', name: '每周测 3 次餐后血糖',
  name_en: null, kind: 'checkin', checkin_type: 'glucose', min_value: null, target: 6, progress: 4, marks: [],
  assigned_on: '2026-11-20', due_on: '2026-12-20', days_left: 14, status: 'active', completed_on: null,
  badge: { badge_id: 'b-glucose', name: '控糖达人', name_en: null },
}
const tasks = {
  exams: [],
  tasks: [glucoseTask, { ...glucoseTask, task_id: 't-eye', task_key: 'eye-exam', kind: 'visit', checkin_type: null,
    name: '复查眼底', target: 1, progress: 1, days_left: 0, due_on: '2026-12-31', status: 'completed', completed_on: '2026-12-02',
    badge: { badge_id: 'b-eye', name: '护眼之星', name_en: null } }],
  badges: [{ badge_id: 'b-eye', name: '护眼之星', name_en: 'Eye star', earned_on: '2026-12-02', task_id: 't-eye' }],
  perks: [
    { perk_id: 'pk-priority', name: '优先预约', name_en: null, badges_required: 1, unlocked: true },
    { perk_id: 'pk-recheck', name: '免费复查一次', name_en: null, badges_required: 3, unlocked: false },
  ],
}

const entry = (id, at, points, reason) => ({ entry_id: id, at, points, reason, note: null, staff: null })
const pointsHead = {
  balance: 120, earned_total: 230, redeemed_total: 110, tier: 'silver',
  expiring: [{ expires_on: '2026-12-31', points: 30 }, { expires_on: '2027-11-30', points: 90 }],
}
/** GET /me/points, two pages (the second after `cursor=p2`). */
const pointsPages = {
  first: { ...pointsHead, next_cursor: 'p2', entries: [
    entry('e9', '2026-12-05T23:41:00Z', 5, 'checkin'), entry('e8', '2026-12-04T23:35:00Z', 5, 'checkin'),
    entry('e7', '2026-12-04T02:10:00Z', -30, 'redemption'), entry('e6', '2026-12-03T00:05:00Z', 5, 'checkin'),
    entry('e5', '2026-12-01T11:20:00Z', 5, 'share'), entry('e4', '2026-11-29T12:00:00Z', 50, 'challenge'),
  ] },
  second: { ...pointsHead, next_cursor: null, entries: [
    entry('e3', '2026-11-25T06:00:00Z', 15, 'referral_registered'), entry('e2', '2026-11-22T03:00:00Z', -80, 'redemption'),
    entry('e1', '2026-11-20T02:30:00Z', 50, 'revisit_on_time'),
  ] },
}

const reward = (id, name, cost, extra = {}) => ({ reward_id: id, name, name_en: null, cost, active: true, stock: null,
  per_patient_limit: null, ...extra })
const rewards = [
  reward('rw-floss', '定制牙线一盒', 30),
  reward('rw-clean', '洗牙一次', 100, { stock: 5, per_patient_limit: 1 }),
  reward('rw-fluoride', '儿童涂氟', 150),
  reward('rw-brush', '电动牙刷', 80, { stock: 0 }),
]

const redemptions = [
  { redemption_id: 'r-2', reward_id: 'rw-floss', reward_name: '定制牙线一盒', cost: 30, status: 'pending', code: 'HK3M7PQA',
    redeemed_at: '2026-12-04T02:10:00Z', fulfilled_at: null },
  { redemption_id: 'r-1', reward_id: 'rw-brush', reward_name: '电动牙刷', cost: 80, status: 'fulfilled', code: 'TB6W2RNX',
    redeemed_at: '2026-11-22T03:00:00Z', fulfilled_at: '2026-11-24T06:15:00Z' },
]

// ---------------------------------------------------------------- invites, packages, the board

const referral = { invite_code: 'WF8K2M', share_path: 'pages/launch/index?invite=WF8K2M', reward_points: 15 }

const packages = [
  { sale_id: 's-2', package_id: 'pkg-diabetes', name: '糖友口腔护理年卡', name_en: null, term_months: 12,
    start_date: '2026-03-01', end_date: '2027-02-28', renewal_of: null, renewed_by: null, renewed_on: null, state: 'active' },
  { sale_id: 's-1', package_id: 'pkg-clean', name: '家庭洁牙卡', name_en: null, term_months: 12,
    start_date: '2025-12-01', end_date: '2026-12-31', renewal_of: null, renewed_by: null, renewed_on: null, state: 'active' },
]

const board = {
  month: '2026-12',
  items: [
    { rank: 1, name_masked: '李*', score: 180 },
    { rank: 2, name_masked: '王*', score: 120, me: true },
    { rank: 3, name_masked: '张**', score: 90 },
    { rank: 4, name_masked: '陈*', score: 75 },
    { rank: 5, name_masked: '刘*', score: 60 },
  ],
  me: { score: 120, visible: true, rank: 2 },
}

// ---------------------------------------------------------------- the home tab in one reply

const home = {
  today: TODAY,
  me: { name_masked: '王*', nickname: patient.nickname },
  checkins: [{ checkin_id: 'ck-2026-12-06', type: 'glucose', value: 6.8, counted: true, client_time: '2026-12-05T23:40:00Z' }],
  tasks: [{ task_id: glucoseTask.task_id, title: glucoseTask.name, progress: glucoseTask.progress, target: glucoseTask.target,
    checkin_type: 'glucose', min_value: null, due_on: glucoseTask.due_on, days_left: glucoseTask.days_left, counted_today: true }],
  streaks: [{ challenge_id: CHALLENGE_ID, name: '365天血糖守护', checkin_type: 'glucose', current_streak: 4, days: 7,
    days_to_go: 3, grace: 1, grace_used: 0, last_day: TODAY }],
  points: { balance: 120, tier: 'silver', next_expiring: { points: 30, expires_on: '2026-12-31' } },
  revisit: { revisit_due_date: patient.revisit_due_date, next_booking_date: null },
  inbox_unread: inbox.filter((m) => !m.read_at).length,
}

/** GET /me/export: the profile, consents and how many records of each kind. */
const exported = {
  profile: patient,
  consents,
  records: {
    checkin: checkins.map((c) => ({ type: c.type, value: c.value, local_date: c.local_date })),
    visit: [{ visit_date: '2026-11-20' }, { visit_date: '2026-08-15' }],
    ledger: [...pointsPages.first.entries, ...pointsPages.second.entries].map((e) => ({ delta: e.points })),
    redeem: redemptions.map((r) => ({ reward_name: r.reward_name })),
  },
}

// ---------------------------------------------------------------- appointments (packages/booking)

// 口腔科's open slots over the next days (clinic-local days and times; UTC = Shanghai - 8 h)
const openSlot = (date, start, end, doctor, left, expert = false) => ({ doctor_id: doctor.id, doctor_name: doctor.name,
  department: 'dentistry', date, start, end, starts_at: `${date}T${utcHour(start)}Z`, ends_at: `${date}T${utcHour(end)}Z`,
  capacity: expert ? 2 : 4, left, expert })
const utcHour = (hhmm) => `${String(Number(hhmm.slice(0, 2)) - 8).padStart(2, '0')}:${hhmm.slice(3)}:00`
const drLi = { id: 'dr-li', name: '李明医生' }
const drZhao = { id: 'dr-zhao', name: '赵主任' }
const slots = {
  tz: 'Asia/Shanghai', first_day: TODAY, last_day: '2026-12-19',
  items: [
    openSlot('2026-12-07', '09:00', '09:30', drLi, 3), openSlot('2026-12-07', '09:30', '10:00', drLi, 0),
    openSlot('2026-12-07', '14:00', '14:30', drZhao, 1, true),
    openSlot('2026-12-08', '09:00', '09:30', drLi, 4), openSlot('2026-12-08', '10:00', '10:30', drLi, 2),
    openSlot('2026-12-09', '10:00', '10:30', drLi, 1), // the patient's own booking (appointments[0])
    openSlot('2026-12-10', '14:00', '14:30', drZhao, 2, true),
  ],
}
const appointment = (date, start, end, doctor, status, extra = {}) => ({
  appointment_id: `${patient.patient_id}.${date.replace(/-/g, '')}.${start.replace(':', '')}.${doctor.id}`,
  patient_id: patient.patient_id, doctor_id: doctor.id, doctor_name: doctor.name, department: 'dentistry', date, start, end,
  starts_at: `${date}T${utcHour(start)}Z`, ends_at: `${date}T${utcHour(end)}Z`, expert: false, status,
  booked_at: '2026-11-02T02:00:00Z', booked_by: 'patient', changed_at: null, rescheduled_to: null, visit_id: null,
  after_reminder_days: null, ...extra })
const appointments = [
  appointment('2026-12-09', '10:00', '10:30', drLi, 'booked'),
  appointment('2026-12-01', '09:00', '09:30', drLi, 'cancelled', { changed_at: '2026-11-28T02:00:00Z' }),
  appointment('2026-11-20', '09:00', '09:30', drLi, 'arrived', { visit_id: 'v-1120' }),
]

// ---------------------------------------------------------------- households (packages/family)

// 王芳's household: her husband (cares for her), their infant (in her care) and her mother (lets her check in)
const familyMember = (id, name, relation, extra = {}) => ({ member_id: id, name, relation, minor: false, me: false,
  i_care_for: false, cares_for_me: false, may_checkin: false, gets_reminders: false, ...extra })
const family = {
  family_id: 'fam-demo',
  members: [
    familyMember(patient.patient_id, '王*', 'self', { me: true }),
    familyMember('p-husband', '李*', 'spouse', { cares_for_me: true }),
    familyMember('p-baby', '李*', 'child', { minor: true, i_care_for: true, may_checkin: true, gets_reminders: true }),
    familyMember('p-mother', '张*', 'parent', { may_checkin: true, gets_reminders: true }),
  ],
  card: { uses_total: 4, uses_left: 3, valid_until: '2027-06-30', used: [{ date: '2026-11-02', name: '李*' }] },
}
const familyInvite = { code: 'K7QM2XPD', expires_at: '2026-12-07T01:30:00Z', path: 'packages/family/join?code=K7QM2XPD' }
// the infant born on 2026-11-20: the check-ups at 42 days, 3, 6, 8 and 12 months
const infantCheckups = { items: [
  { title: '满月(42天)体检', due_date: '2027-01-01', kind: 'checkup' },
  { title: '3月龄体检', due_date: '2027-02-20', kind: 'checkup' },
  { title: '6月龄体检', due_date: '2027-05-20', kind: 'checkup' },
  { title: '8月龄体检', due_date: '2027-07-20', kind: 'checkup' },
  { title: '12月龄体检', due_date: '2027-11-20', kind: 'checkup' },
] }
const familyRoutes = {
  'GET /me/family': ok(family),
  'POST /me/family/invites': ok(familyInvite, 201),
  'POST /me/family/join': ok({ family_id: 'fam-other', members: [
    familyMember('p-daughter', '陈*', 'child'), familyMember(patient.patient_id, '王*', 'self', { me: true })] }),
  'PUT /me/family/carers/p-husband': ok({ members: family.members }),
  'POST /me/family/dependants': ok(family.members[2], 201),
  'GET /me/family/p-baby/reminders': ok(infantCheckups),
  'POST /me/family/p-baby/checkins': ok({ checkin: { checkin_id: 'ck-baby', type: 'weight', value: 4.6, local_date: TODAY,
    counted: true }, points_awarded: 0, balance: 0, challenges: [] }, 201),
  'DELETE /me/family': ok({ family_id: null, members: [], card: null }),
}

/** The demo API: every route a page may ask, answered as the real API would for this patient. */
const api = {
  'POST /auth/wechat/login': ok({ access_token: 'demo-access', refresh_token: 'demo-refresh', expires_in: 3600,
    patient_id: patient.patient_id, registered: true }),
  'GET /me/setup': ok(setup),
  'GET /me': ok({ patient }),
  'GET /me/home': ok(home),
  'GET /me/consents': ok({ consents }),
  'GET /me/export': ok(exported),
  'GET /me/challenges': ok({ items: challenges }),
  'GET /me/checkins': ok({ items: checkins }),
  'GET /me/vouchers': ok({ items: [voucher] }),
  'GET /me/inbox': ok({ items: inbox, unread: home.inbox_unread }),
  'POST /me/inbox/m-3/read': ok({ message: { ...inbox[0], read_at: '2026-12-06T01:31:00Z' } }),
  'POST /me/inbox/m-1/read': ok({ message: inbox[2] }),
  'GET /me/channels': ok({ preferred: null, order: ['wechat', 'inbox', 'sms'], wechat_linked: true,
    wechat_quota: { 'tpl-recall': 1 }, templates: { recall: 'tpl-recall' } }),
  'POST /me/checkins': ok({
    checkin: { checkin_id: 'ck-demo', type: 'glucose', value: 6.8, local_date: TODAY, counted: true },
    points_awarded: 5, balance: patient.balance + 5,
    challenges: [{ challenge_id: CHALLENGE_ID, name: '365天血糖守护', current_streak: 5, days: 7, streaks_completed: 1, completed_now: 0 }],
  }),
  'GET /me/tasks': ok(tasks),
  'GET /me/points': (call) => ok(call.data && call.data.cursor === 'p2' ? pointsPages.second : pointsPages.first),
  'GET /rewards': ok({ items: rewards }),
  'GET /me/redemptions': ok({ items: redemptions, next_cursor: null }),
  'GET /leaderboard': ok(board),
  'GET /me/referral': ok(referral),
  'GET /me/packages': ok({ items: packages }),
  'GET /me/appointment-slots': ok(slots),
  'GET /me/appointments': ok({ items: appointments }),
  'POST /me/appointments': ok({ appointment: appointment('2026-12-07', '09:00', '09:30', drLi, 'booked',
    { booked_at: '2026-12-06T01:30:00Z', after_reminder_days: 1 }) }, 201),
  ...familyRoutes,
}

const care = { care_mode: 'on' }

// 扫码绑定 (packages/bind): a visitor's login, then the desk's record linked to this WeChat
const BIND_CODE = 'demo-dental.Ab3dEf6hIj9kLm2nOp5qRs'
const bindRoutes = {
  'POST /auth/wechat/login': ok({ access_token: 'visitor-access', refresh_token: 'visitor-refresh-token',
    expires_in: 3600, patient_id: null, registered: false }),
  'POST /me/bind': ok({ patient: { ...patient, phone: '13812345678', nickname: null },
    access_token: 'demo-access', refresh_token: 'demo-refresh-token', expires_in: 3600,
    patient_id: patient.patient_id, registered: true }),
}

const pages = {
  'pages/launch/index': { signedIn: false, hold: true },
  'pages/home/index': [
    {},
    { name: 'home-care', storage: care },
    { name: 'home-error', routes: { 'GET /me/home': { fail: 'request:fail timeout' } } },
  ],
  'pages/checkin/index': [
    { steps: [['type', '.value', '6.8'], ['tap', '.meal-fasting', '.t-radio']] },
    { name: 'checkin-done', steps: [['type', '.value', '6.8'], ['tap', '.meal-fasting', '.t-radio'], ['tap', '.submit']] },
    { name: 'checkin-care', storage: care, steps: [['type', '.value', '6.8'], ['tap', '.meal-fasting', '.t-radio']] },
    // a type of the clinic's own, opened from a card (?type=weight), a reading out of its range
    { name: 'checkin-weight', query: { type: 'weight' }, steps: [['type', '.value', '300'], ['tap', '.submit']] },
  ],
  'pages/messages/index': { steps: [['tap', '.message-0']] },
  'pages/me/index': {},
  'pages/register/index': {
    // signed in with WeChat, not registered yet: what the launch page leaves behind for a new patient
    signedIn: false,
    storage: { 'revisit.session': { access_token: 'demo-access', refresh_token: 'demo-refresh',
      expires_at: new Date(NOW).getTime() + 3600000, patient_id: null, registered: false } },
    steps: [['type', '.name', '王芳'], ['type', '.phone', '13812345678'], ['type', '.birth-year', '1962'],
      ['tap', '.condition-diabetes', '.t-checkbox'], ['tap', '.consent-service', '.t-checkbox']],
  },
  'pages/privacy/index': {},
  'pages/challenges/index': {},
  'packages/more/about/index': {},
  'packages/challenge/detail/index': { query: { id: CHALLENGE_ID } },
  'packages/challenge/vouchers/index': {},
  'packages/me/profile/index': {},
  'packages/me/consents/index': [
    {},
    { name: 'me-consents-older', routes: { 'GET /me/consents': ok({ consents: olderConsents }), 'GET /consent-texts/v0': ok(consentTextsV0) },
      steps: [['tap', '.show-agreed-marketing']] },
  ],
  'packages/me/data/index': [
    { query: { part: 'export' }, steps: [['tap', '.export', '.t-button']] },
    { name: 'me-data-delete', query: { part: 'delete' } },
  ],
  'packages/me/tasks/index': {},
  'packages/me/board/index': {},
  'packages/points/index/index': {},
  'packages/points/rewards/index': {},
  'packages/points/redemptions/index': {},
  'packages/invite/index/index': {},
  'packages/invite/family/index': {},
  'packages/invite/packages/index': {},
  'packages/invite/steps/index': {},
  'packages/messages/detail/index': [
    { query: { id: 'm-1' } },
    // the day-30 reminder: 预约复诊 opens the booking page
    { name: 'messages-detail-recall', query: { id: 'm-3' } },
  ],
  'packages/messages/channels/index': {},
  'packages/messages/article/index': { query: { url: encodeURIComponent('javascript:void(0)') } },
  // 预约复诊 opened on 口腔科 (a reminder's or the home tab's link), and a slot booked; 我的预约
  'packages/booking/slots/index': [
    { query: { department: 'dentistry' } },
    { name: 'booking-slots-done', query: { department: 'dentistry' }, steps: [['tap', '.pick'], ['tap', '.dialog-confirm']] },
    // 改约 from 我的预约: the booking of 12月9日 moved
    { name: 'booking-slots-reschedule', query: { department: 'dentistry', reschedule: appointments[0].appointment_id } },
  ],
  'packages/booking/mine/index': {},
  // 扫码绑定: opened from the desk's QR code by a WeChat user without a record yet
  'packages/bind/index': [
    { signedIn: false, query: { code: BIND_CODE }, routes: bindRoutes },
    { name: 'bind-done', signedIn: false, query: { code: BIND_CODE }, routes: bindRoutes,
      steps: [['tap', '.confirm-bind', '.t-button']] },
  ],
  // households: 我的家庭, an invite made for her mother, joining a daughter's household, carers, a child, the infant
  'packages/family/index': [
    {},
    { name: 'family-invite', steps: [['tap', '.invite'], ['tap', '.relation-parent', '.t-radio'], ['tap', '.create-invite']] },
  ],
  'packages/family/join': { query: { code: 'K7QM2XPD' }, steps: [['tap', '.agree', '.t-checkbox']] },
  'packages/family/carers': {},
  'packages/family/child': { steps: [['type', '.name', '李小宝'], ['tap', '.sex-F', '.t-radio']] },
  'packages/family/member': { query: { id: 'p-baby' }, steps: [['tap', '.kind-weight', '.t-radio'], ['type', '.value', '4.6']] },
}

module.exports = { NOW, api, pages, patient, voucher, setup }
