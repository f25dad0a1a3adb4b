/**
 * A patient's journey through the mini-program's own API module (build/api/, compiled by
 * `npm run build`) against a running local stack, in Node. A global `wx` stands in for the phone:
 * `wx.request` is real HTTP (Node's fetch), `wx.login` hands out the codes the test gave for the
 * WeChat user holding the phone, and storage is in memory, one store per phone.
 *
 *   JOURNEY_API=http://127.0.0.1:8000 JOURNEY_CLINIC=demo-dental JOURNEY_WECHAT=http://127.0.0.1:8090 \
 *   JOURNEY_USERS='{"newcomer": "wx-mpj-1a2b", "friend": "wx-mpj-3c4d", "rich": "wx-dd0000",
 *                   "reminded": "wx-dd0001"}' JOURNEY_PHONES='["19900000001", "19900000002"]' \
 *   node journey/journey.js
 *
 * Each step prints a line; any unexpected reply ends it with exit 1 and the reason on stderr.
 * The last line on stdout is a JSON summary. tests/e2e/test_miniprogram_journey.py runs it.
 *
 * Every call goes through the functions the pages use (build/api/index.js); only the check that
 * an erased patient's old token is refused sends that token by hand.
 */
'use strict'

const assert = require('node:assert/strict')
const path = require('node:path')

const BUILD = path.resolve(process.env.JOURNEY_BUILD || path.join(__dirname, '..', 'build'))
const API = need('JOURNEY_API').replace(/\/$/, '')
const CLINIC = need('JOURNEY_CLINIC')
const WECHAT = need('JOURNEY_WECHAT').replace(/\/$/, '')
const USERS = JSON.parse(need('JOURNEY_USERS'))
const PHONES = JSON.parse(need('JOURNEY_PHONES'))
const RUN = Math.random().toString(36).slice(2, 8) // keeps this run's login codes apart from other runs'

function need(name) {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

function step(text) {
  console.log(`- ${text}`)
}

// -- the phone: wx.* over real HTTP, login codes per WeChat user, storage per phone -----------------

const phones = new Map() // WeChat user -> { storage, logins }
let holder = null // the phone in hand

function usePhone(user) {
  if (!phones.has(user)) phones.set(user, { base: USERS[user], storage: new Map(), logins: 0 })
  holder = phones.get(user)
  assert.ok(holder.base, `no login code base for ${user}`)
}

/** The next wx.login code of the WeChat user holding the phone (the fake WeChat takes each once). */
function nextLoginCode() {
  holder.logins += 1
  return `${holder.base}.mpj${RUN}-${holder.logins}`
}

function query(data) {
  const pairs = Object.entries(data || {}).filter(([, v]) => v !== undefined && v !== null)
  return pairs.length ? '?' + new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString() : ''
}

global.wx = {
  request(options) {
    const method = options.method || 'GET'
    const hasBody = method !== 'GET' && method !== 'DELETE' && options.data !== undefined
    const url = hasBody || !options.data ? options.url : options.url + query(options.data)
    const signal = AbortSignal.timeout(options.timeout || 15000)
    fetch(url, { method, headers: options.header || {}, body: hasBody ? JSON.stringify(options.data) : undefined, signal })
      .then(async (reply) => {
        const text = await reply.text()
        let data = text
        try {
          data = text ? JSON.parse(text) : ''
        } catch (e) {
          // not JSON: handed over as text, as wx.request does
        }
        const header = {}
        reply.headers.forEach((value, name) => (header[name] = value))
        options.success && options.success({ statusCode: reply.status, data, header, errMsg: 'request:ok' })
      })
      .catch((err) => {
        const timedOut = err && err.name === 'TimeoutError'
        options.fail && options.fail({ errMsg: `request:fail ${timedOut ? 'timeout' : String(err && err.message)}` })
      })
      .finally(() => options.complete && options.complete())
  },
  login(options) {
    const code = nextLoginCode()
    setImmediate(() => options.success && options.success({ code, errMsg: 'login:ok' }))
  },
  getStorageSync: (key) => (holder.storage.has(key) ? holder.storage.get(key) : ''),
  setStorageSync: (key, value) => holder.storage.set(key, JSON.parse(JSON.stringify(value))),
  removeStorageSync: (key) => holder.storage.delete(key),
}

// -- the API module, as compiled for the phone ----------------------------------------------------

const { config } = require(path.join(BUILD, 'config.js'))
config.apiBaseUrl = API
config.clinicId = CLINIC
config.devLoginCode = ''
const api = require(path.join(BUILD, 'api', 'index.js'))

/** {purpose: {granted, at, version}} -> {purpose: granted} */
function granted(consents) {
  return Object.fromEntries(Object.entries(consents).map(([purpose, c]) => [purpose, !!(c && c.granted)]))
}

function localTime() {
  const now = new Date()
  const offset = -now.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0')
  const local = new Date(now.getTime() + offset * 60000).toISOString().slice(0, 19)
  return `${local}${sign}${pad(offset / 60)}:${pad(offset % 60)}`
}

// -- the journey -----------------------------------------------------------------------------------

async function newcomerRegisters(summary) {
  usePhone('newcomer')
  const session = await api.login()
  assert.equal(session.registered, false, 'a new WeChat user should arrive as a visitor')
  assert.equal(session.patient_id, null)
  step('first launch: wx.login -> visitor (no record yet)')

  const setup = await api.loadSetup()
  assert.ok(setup.clinicName, 'the clinic has a name')
  const purposes = setup.purposes.map((p) => p.purpose).sort()
  assert.deepEqual(purposes, ['analytics', 'marketing', 'service'])
  assert.ok(setup.purposes.every((p) => p.title && p.text), 'every consent purpose has a title and a text')
  assert.ok(setup.conditions.some((c) => c.code === 'diabetes' && c.label), 'diabetes is offered with its label')
  assert.ok(setup.policy.sections.length, 'the privacy policy is there')
  step(`GET /me/setup: ${setup.clinicName}; consent ${setup.consentVersion}: ${purposes.join(', ')}; ` +
       `${setup.conditions.length} conditions; ${setup.subscribeTemplates.length} subscribe templates`)
  summary.setup = { consent_version: setup.consentVersion, templates: setup.subscribeTemplates.length }

  const phoneCode = `phone-${PHONES[0]}`
  const registered = await api.registerPatient({
    name: '林小满', birth_year: 1968, sex: 'F', conditions: ['diabetes'], department: 'endocrinology',
    consents: { service: true, marketing: true, analytics: false }, consent_version: setup.consentVersion,
    phone_code: phoneCode,
  })
  assert.equal(registered.registered, true)
  assert.equal(api.loadTokens().registered, true, 'the patient tokens replace the visitor ones')
  const me = (await api.getMe()).patient
  assert.equal(me.patient_id, registered.patient_id)
  assert.equal(me.phone_verified, true, 'a phone from getPhoneNumber is verified')
  assert.deepEqual(granted((await api.getConsents()).consents), { service: true, marketing: true, analytics: false })
  step(`registered with consent service=yes marketing=yes analytics=no and a verified phone (${phoneCode.slice(0, 9)}...)`)
  summary.newcomer = me.patient_id
  return setup
}

async function checkInAndChallenge(summary) {
  const key = api.newIdempotencyKey('checkin')
  const reading = { type: 'glucose', value: 6.4, unit: 'mmol/L', client_time: localTime() }
  const checkin = await api.postCheckin(reading, key)
  assert.equal(checkin.checkin.counted, true)
  assert.ok(checkin.points_awarded > 0, 'the first glucose reading earns points')
  const again = await api.postCheckin(reading, key) // the same reading sent again (a retry)
  assert.equal(again.balance, checkin.balance, 'retrying the same check-in does not count twice')
  step(`glucose 6.4 checked in: +${checkin.points_awarded}, balance ${checkin.balance}; the retry counted nothing`)

  const points = await api.getPoints()
  assert.equal(points.balance, checkin.balance)
  assert.ok(points.entries.length >= 1)
  const home = await api.loadHome()
  assert.equal(home.points.balance, points.balance, 'the home page shows the same points')
  assert.ok(home.checkins.some((c) => c.type === 'glucose'), "today's glucose reading is on the home page")
  step(`points shown: balance ${points.balance} (home ${home.points.balance}), ${points.entries.length} ledger entr(ies)`)

  const before = await api.getMyChallenges()
  const glucose = before.items.find((c) => c.checkin_type === 'glucose' && c.open)
  assert.ok(glucose, `an open glucose challenge: ${JSON.stringify(before.items.map((c) => [c.name, c.checkin_type, c.open]))}`)
  const joined = await api.joinChallenge(glucose.challenge_id)
  assert.equal(joined.challenge.joined, true)
  const after = await api.getMyChallenges()
  assert.ok(after.items.find((c) => c.challenge_id === glucose.challenge_id).joined)
  step(`joined the challenge ${glucose.name} (${glucose.days} days)`)
  summary.balance_after_checkin = points.balance
}

async function subscribeAndWerun(setup, summary) {
  const template = setup.subscribeTemplates[0]
  assert.ok(template, 'the clinic offers a subscribe template')
  const channels = await api.subscribe({ template_id: template.template_id, code: await wxCode() })
  assert.equal(channels.wechat_linked, true)
  assert.ok((channels.wechat_quota[template.kind] || channels.wechat_quota[template.template_id] || 0) >= 1,
            `one message allowed after subscribing: ${JSON.stringify(channels.wechat_quota)}`)
  step(`subscribed to ${template.title}: quota ${JSON.stringify(channels.wechat_quota)}`)

  // wx.getWeRunData: the fake WeChat seals the steps with the session key of a fresh login code
  const code = await wxCode()
  const midnight = new Date()
  midnight.setHours(0, 0, 0, 0)
  const sealed = await (await fetch(`${WECHAT}/_fake/werun`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, stepInfoList: [{ timestamp: Math.floor(midnight.getTime() / 1000), step: 8123 }] }),
  })).json()
  assert.ok(sealed.encrypted_data && sealed.iv, `the fake WeChat sealed the WeRun data: ${JSON.stringify(sealed)}`)
  const werun = await api.postWerun({ code, encrypted_data: sealed.encrypted_data, iv: sealed.iv })
  const today = werun.days.find((d) => d.steps === 8123)
  assert.ok(today && today.recorded, `today's steps recorded: ${JSON.stringify(werun.days)}`)
  step(`WeRun: ${today.steps} steps on ${today.local_date} recorded, +${werun.points_awarded}, balance ${werun.balance}`)
  summary.werun_steps = today.steps
}

function wxCode() {
  return new Promise((resolve, reject) => wx.login({ success: (r) => resolve(r.code), fail: reject }))
}

async function inviteAFriend(summary) {
  const referral = await api.getReferral()
  assert.match(referral.invite_code, /^[A-Za-z0-9]{4,16}$/)
  assert.ok(referral.share_path.includes(referral.invite_code), 'the shared page carries the invite code')
  const before = (await api.getPoints()).balance
  step(`shared the invite ${referral.share_path} (+${referral.reward_points} when a friend registers)`)

  usePhone('friend')
  const visitor = await api.login()
  assert.equal(visitor.registered, false)
  const friend = await api.registerPatient({
    name: '周大山', birth_year: 1961, conditions: ['hypertension'], consents: { service: true, marketing: false, analytics: true },
    consent_version: summary.setup.consent_version, phone_code: `phone-${PHONES[1]}`, invite_code: referral.invite_code,
  })
  assert.equal(friend.registered, true)
  assert.notEqual(friend.patient_id, summary.newcomer)
  step('a friend opened the shared page and registered with the invite code')

  usePhone('newcomer')
  const after = await api.getPoints()
  assert.equal(after.balance, before + referral.reward_points, 'the referrer earns the invite reward')
  step(`back on the first phone: balance ${before} -> ${after.balance}`)
  summary.friend = friend.patient_id
  summary.referral_points = referral.reward_points
}

async function leaveWithData(summary) {
  const withdrawn = await api.withdrawConsents(['marketing'])
  assert.deepEqual(granted(withdrawn.consents), { service: true, marketing: false, analytics: false })
  assert.equal(granted((await api.getConsents()).consents).marketing, false)
  step('withdrew the marketing consent; service stays')

  const exported = await api.exportMyData()
  assert.equal(exported.profile.patient_id, summary.newcomer)
  assert.equal(exported.profile.name, '林小满')
  assert.equal(granted(exported.consents).marketing, false)
  const kinds = Object.entries(exported.records).filter(([, rows]) => rows.length).map(([kind]) => kind)
  assert.ok(JSON.stringify(exported.records).includes('glucose'), `the export holds the check-in: ${kinds}`)
  step(`exported my data: profile, consents and ${kinds.join(', ')}`)

  const oldTokens = api.loadTokens()
  const erased = await api.deleteAccount()
  assert.equal(erased.erased, true)
  assert.equal(api.loadTokens(), null, 'deleting the account signs the phone out')
  step(`deleted the account (${erased.items_removed} items removed)`)
  const old = await fetch(`${API}/me`, { headers: { Authorization: `Bearer ${oldTokens.access_token}` } })
  const refusal = await old.json()
  assert.equal(old.status, 401, `the old token after deleting the account: ${JSON.stringify(refusal)}`)
  step(`the old token is refused: ${refusal.code} (${refusal.message})`)
  const again = await api.login()
  assert.equal(again.registered, false, 'the same WeChat user comes back as a visitor')
  step('opening the mini-program again: a visitor, nothing kept')
  summary.deleted = true
}

async function engagementScreens(summary) {
  const shareRef = `article-${RUN}`
  const key = api.newIdempotencyKey('share')
  const shared = await api.recordShare(shareRef, key)
  const replay = await api.recordShare(shareRef, key)
  assert.equal(replay.balance, shared.balance, 'a retried share counts once')
  step(`shared an article: +${shared.points_awarded}, balance ${shared.balance}`)
  const vouchers = await api.getMyVouchers()
  const tasks = await api.getTasks()
  const board = await api.getBoard()
  assert.ok(Array.isArray(vouchers.items) && Array.isArray(tasks.tasks) && Array.isArray(board.items))
  assert.match(board.month, /^\d{4}-\d{2}$/)
  step(`vouchers ${vouchers.items.length}, tasks ${tasks.tasks.length}, badges ${tasks.badges.length}, ` +
       `star of the month ${board.month}: ${board.items.length} on the board`)
  summary.tasks = tasks.tasks.length
}

async function redeemAReward(summary) {
  usePhone('rich')
  const session = await api.login()
  assert.equal(session.registered, true, 'the seeded patient is registered')
  await engagementScreens(summary)
  const points = await api.getPoints()
  const rewards = await api.getRewards()
  const affordable = rewards.items.filter((r) => r.active && r.cost <= points.balance && (r.stock === null || r.stock > 0))
    .sort((a, b) => a.cost - b.cost)
  assert.ok(affordable.length, `a reward within ${points.balance} points: ${JSON.stringify(rewards.items)}`)
  const reward = affordable[0]
  const key = api.newIdempotencyKey('redeem')
  const first = await api.redeemReward(reward.reward_id, key)
  assert.equal(first.balance, points.balance - reward.cost)
  const retry = await api.redeemReward(reward.reward_id, key)
  assert.equal(retry.redemption.redemption_id, first.redemption.redemption_id, 'a retry is the same redemption')
  assert.equal((await api.getPoints()).balance, first.balance, 'the retry spent nothing')
  step(`redeemed ${reward.name} for ${reward.cost}: balance ${points.balance} -> ${first.balance}; the retry replayed`)

  const mine = await api.getMyRedemptions()
  const listed = mine.items.find((r) => r.redemption_id === first.redemption.redemption_id)
  assert.ok(listed, 'the redemption is listed')
  assert.equal(listed.status, 'pending')
  assert.match(listed.code, /^[A-Z0-9]{4}-?[A-Z0-9]{4}$/, `a code for the desk: ${listed.code}`)
  step(`GET /me/redemptions: ${listed.reward_name} ${listed.status}, code for the desk ${listed.code}`)
  summary.redemption_code = listed.code
}

async function readAReminder(summary) {
  usePhone('reminded')
  const session = await api.login()
  assert.equal(session.registered, true)
  const inbox = await api.getInbox()
  const reminder = inbox.items.find((m) => /湿疹/.test(m.title + m.body))
  assert.ok(reminder, `the eczema reminder is in the inbox: ${JSON.stringify(inbox.items.map((m) => m.title))}`)
  summary.reminder = reminder.message_id
  // its id holds the ':' of a timestamp, which the client percent-encodes in the path
  const read = await api.markRead(reminder.message_id)
  assert.ok(read.message.read_at, 'marked read')
  const after = await api.getInbox()
  assert.ok(after.items.find((m) => m.message_id === reminder.message_id).read_at)
  assert.ok(after.unread <= Math.max(inbox.unread - (reminder.read_at ? 0 : 1), 0))
  step(`inbox: the eczema reminder from ${reminder.title} read (${after.unread} unread left)`)
  summary.reminder_read = true
  await bookFromTheReminder(reminder, summary)
}

/** 预约复诊 from the reminder: the slot it holds for the patient when it holds one (its link names
 * the booking page with that slot, as the message page opens it), else the first open slot of the
 * department the link names, or of the patient's own. */
async function bookFromTheReminder(reminder, summary) {
  const link = reminder.link || ''
  assert.match(link, /^packages\/booking\//, `the reminder links to the booking page: ${link}`)
  const query = Object.fromEntries(new URLSearchParams(link.split('?')[1] || ''))
  let choice = null
  if (query.offer === '1') {
    const offers = await api.getMySlotOffers()
    const held = offers.items.find((o) => o.doctor_id === query.doctor_id && o.date === query.date &&
      o.start.replace(':', '') === query.start)
    if (held) choice = { doctor_id: held.doctor_id, date: held.date, start: held.start }
  }
  if (!choice) {
    const department = query.department || (await api.getMe()).patient.department
    const from = new Date(Date.now() + 8 * 3600e3)
    const to = new Date(from.getTime() + 13 * 86400e3)
    const day = (d) => d.toISOString().slice(0, 10)
    const slots = await api.getOpenSlots(department, day(from), day(to))
    const open = slots.items.find((s) => s.bookable !== false && s.left > 0)
    assert.ok(open, `an open slot in ${department}: ${JSON.stringify(slots.items.slice(0, 3))}`)
    choice = { doctor_id: open.doctor_id, date: open.date, start: open.start }
  }
  const key = api.newIdempotencyKey('book')
  const made = await api.bookAppointment(choice, key)
  const again = await api.bookAppointment(choice, key)
  assert.equal(again.appointment.appointment_id, made.appointment.appointment_id, 'a retry is the same booking')
  const mine = await api.getMyAppointments()
  assert.ok(mine.items.find((a) => a.appointment_id === made.appointment.appointment_id && a.status === 'booked'))
  step(`booked ${choice.date} ${choice.start} from the reminder (${query.offer === '1' ? 'the slot it held' : 'an open slot'})`)
  summary.booked = { ...choice, appointment_id: made.appointment.appointment_id, held: query.offer === '1' }
  summary.reminded_patient = (await api.getMe()).patient.patient_id
}

async function main() {
  const summary = {}
  const setup = await newcomerRegisters(summary)
  await checkInAndChallenge(summary)
  await subscribeAndWerun(setup, summary)
  await inviteAFriend(summary)
  await leaveWithData(summary)
  await redeemAReward(summary)
  await readAReminder(summary)
  console.log(JSON.stringify(summary))
}

main().catch((err) => {
  console.error(`FAILED: ${err && err.stack ? err.stack : JSON.stringify(err)}`)
  process.exit(1)
})
