// 我的家庭: the members of the patient's household (masked names, relation, 我, what each may do for
// the other), the shared family cleaning card, and what the patient can do: invite family (a
// one-time code shown as a QR code and shared), register a child, choose carers, leave.
import {
  createFamilyInvite, FamilyInvite, FamilyReply, FAMILY_JOIN_PAGE, getFamily, keptFamilyCode, leaveFamily, Relation,
} from '../../api/family'
import { pageError } from '../../utils/page'
import { careMode } from '../../utils/care'
import { cardView, CardView, codeGroups, INVITE_RELATIONS, isoDay, MemberRow, memberRows, untilText } from './format'

export const MEMBER_PAGE = '/packages/family/member'
export const CHILD_PAGE = '/packages/family/child'
export const CARERS_PAGE = '/packages/family/carers'

interface InviteShown {
  code: string
  groups: string[]
  path: string
  until: string
  relation: string
}

Component({
  behaviors: [careMode],
  data: {
    loading: true,
    loaded: false,
    error: '',
    inFamily: false,
    members: [] as MemberRow[],
    /** adults other than the patient: the ones that can be made carers */
    adults: 0,
    /** whether any member opens a page of theirs (the hint about the arrows) */
    opensAny: false,
    card: null as CardView | null,
    /** an invite the patient opened before they could join (not registered yet) */
    keptCode: '',
    relations: INVITE_RELATIONS,
    // 邀请家人: choose the relation, then the code is made
    inviting: false,
    relation: '' as Relation | '',
    relationError: '',
    creating: false,
    inviteError: '',
    invite: null as InviteShown | null,
    leaving: false,
    leaveError: '',
  },
  methods: {
    onLoad() {
      this.load()
    },
    onShow() {
      // back from 添加孩子, 照护设置 or joining: the household may have changed
      if (this.data.loaded) this.load(true)
    },
    onPullDownRefresh() {
      const done = () => wx.stopPullDownRefresh()
      this.load(true).then(done, done)
    },
    async load(quiet = false) {
      this.setData({ loading: !quiet || !this.data.loaded, error: '' })
      try {
        this.show(await getFamily())
      } catch (e) {
        this.setData({ loading: false, error: pageError(e).message })
      }
    },
    show(reply: FamilyReply) {
      const members = memberRows(reply.members || [])
      const inFamily = !!reply.family_id && members.length > 0
      this.setData({
        loading: false,
        loaded: true,
        inFamily,
        members,
        adults: members.filter((m) => !m.me && !m.minor).length,
        opensAny: members.some((m) => m.opens),
        card: cardView(reply.card, isoDay(0)),
        keptCode: inFamily ? '' : keptFamilyCode() || '',
      })
    },
    onMember(e: WechatMiniprogram.CustomEvent<Record<string, never>, Record<string, never>, { index: number }>) {
      const row = this.data.members[e.currentTarget.dataset.index]
      if (!row || !row.opens) return
      wx.navigateTo({ url: `${MEMBER_PAGE}?id=${encodeURIComponent(row.id)}` })
    },
    onInvite() {
      this.setData({ inviting: true, invite: null, inviteError: '', relationError: '' })
    },
    onCancelInvite() {
      this.setData({ inviting: false, relation: '', relationError: '', inviteError: '' })
    },
    onRelation(e: WechatMiniprogram.CustomEvent<{ value: Relation }>) {
      this.setData({ relation: e.detail.value, relationError: '' })
    },
    async onCreateInvite() {
      if (this.data.creating) return
      const relation = this.data.relation
      if (!relation) {
        this.setData({ relationError: '请先选择这位家人是您的什么人' })
        return
      }
      // no key: the API answers every request with a new one-time code, and an unused one expires
      this.setData({ creating: true, inviteError: '' })
      try {
        const invite: FamilyInvite = await createFamilyInvite(relation)
        const label = (INVITE_RELATIONS.find((r) => r.value === relation) || { label: '家人' }).label
        this.setData({
          inviting: false,
          relation: '',
          invite: { code: invite.code, groups: codeGroups(invite.code), path: invite.path || `${FAMILY_JOIN_PAGE}?code=${encodeURIComponent(invite.code)}`,
            until: untilText(invite.expires_at), relation: label },
        })
      } catch (err) {
        this.setData({ inviteError: pageError(err).message })
      } finally {
        this.setData({ creating: false })
      }
    },
    onShareAppMessage() {
      const invite = this.data.invite
      if (!invite) return { title: '复诊小助手', path: '/pages/launch/index' }
      const path = invite.path.charAt(0) === '/' ? invite.path : `/${invite.path}`
      return { title: '邀请您加入我的家庭，一起管理健康和复诊提醒', path }
    },
    onCloseInvite() {
      this.setData({ invite: null })
    },
    onAddChild() {
      wx.navigateTo({ url: CHILD_PAGE })
    },
    onCarers() {
      wx.navigateTo({ url: CARERS_PAGE })
    },
    onJoinKept() {
      wx.navigateTo({ url: `/${FAMILY_JOIN_PAGE}?code=${encodeURIComponent(this.data.keptCode)}` })
    },
    onLeave() {
      if (this.data.leaving) return
      this.setData({ leaveError: '' })
      wx.showModal({
        title: '退出家庭？',
        content: '退出后，家人不再能替您打卡或收到您的提醒，您也不再能使用家庭洁牙卡。以后可以再接受邀请加入。',
        confirmText: '确认退出',
        confirmColor: '#d54941',
        cancelText: '不退出',
        success: (res) => {
          if (res.confirm) this.leave()
        },
      })
    },
    async leave() {
      this.setData({ leaving: true })
      try {
        const reply = await leaveFamily() // the household as it is now: none
        wx.showToast({ title: '已退出家庭', icon: 'none' })
        this.setData({ invite: null })
        this.show(reply)
      } catch (err) {
        this.setData({ leaveError: pageError(err).message })
      } finally {
        this.setData({ leaving: false })
      }
    },
  },
})
