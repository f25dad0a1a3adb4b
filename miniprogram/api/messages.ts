/**
 * Messages beyond the inbox itself (getInbox and markRead stay in ./me): the patient's channel
 * preference and the one-time WeChat subscriptions they accepted.
 */
import { request, Schemas } from './client'

export type Channels = Schemas['ChannelsReply']
export type ChannelPreference = Schemas['PreferenceBody']
export type Subscription = Schemas['SubscriptionBody']
export type SubscribeTemplate = Schemas['SubscribeTemplate']

/** The preferred channel, the order messages try, and how many WeChat messages each template may still send. */
export const getChannels = () => request<Channels>('GET', '/me/channels')

/** `{preferred: 'wechat' | 'inbox' | 'sms' | null}`; null goes back to the clinic's default order. */
export const putChannels = (body: ChannelPreference) => request<Channels>('PUT', '/me/channels', { data: body })

/** One accepted template of wx.requestSubscribeMessage, with a fresh wx.login code (one code per call). */
export const subscribe = (body: Subscription) => request<Channels>('POST', '/me/subscriptions', { data: body })

/** The notice every health item of a content path carries (the API appends it to the body). */
export const HEALTH_NOTICES = ['仅供参考，不构成医疗诊断', '仅供参考，不作为医疗诊断']

export interface MessageView {
  /** 'content': a content path's step; 'recall': a service reminder; 'other': any other notice */
  kind: 'content' | 'recall' | 'other'
  /** a content step's media: an article to open or audio to play ('' for text) */
  media: '' | 'link' | 'audio'
  /** the article's or audio's address ('' when none) */
  link: string
  /** the link is a page of this mini-program (opened with wx.navigateTo) */
  internal: boolean
  /** a recall reminder's booking page with the slot it holds for the patient ('' when it holds none) */
  booking: string
  /** the body without the notice line */
  text: string
  /** the notice as the message carries it, '' when it has none */
  notice: string
  /** the first line of the text, for the list */
  preview: string
}

interface InboxFields {
  body: string
  purpose: string
  kind?: 'reminder' | 'content' | null
  media?: 'text' | 'link' | 'audio' | null
  link?: string | null
}

/**
 * How a page shows an inbox message: the API says whether it is a reminder or a content path's
 * step and, for an article or audio step, its address; a health item ends with the notice line,
 * shown apart from the text.
 */
export function messageView(m: InboxFields): MessageView {
  const lines = (m.body || '').split('\n')
  const noticeAt = lines.findIndex((line) => HEALTH_NOTICES.includes(line.trim()))
  const notice = noticeAt >= 0 ? lines[noticeAt].trim() : ''
  const text = lines.filter((_, i) => i !== noticeAt).join('\n').trim()
  // messages stored before the API said their kind: a health item is known by its notice
  const kind = m.kind === 'content' || notice ? 'content' : m.purpose === 'service' ? 'recall' : 'other'
  const media = m.media === 'link' || m.media === 'audio' ? m.media : ''
  const link = media && m.link ? m.link : ''
  const internal = /^\/?(pages|packages)\//.test(link)
  const booking = !media && m.link && m.link.startsWith('packages/booking/') ? m.link : ''
  const first = text.split('\n')[0] || ''
  return { kind, media, link, internal, booking, text, notice, preview: first.length > 40 ? `${first.slice(0, 40)}…` : first }
}
