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
  /** 'content': a health item of a content path (it carries the notice); 'recall': a service reminder; 'other' */
  kind: 'content' | 'recall' | 'other'
  /** the body without the notice line */
  text: string
  /** the notice as the message carries it, '' when it has none */
  notice: string
  /** the first line of the text, for the list */
  preview: string
}

/**
 * How a page shows an inbox message. The inbox gives no kind, so it is read from what the API
 * guarantees: a health item of a content path always ends with the notice; a service message
 * without it is a recall reminder.
 */
export function messageView(m: { body: string; purpose: string }): MessageView {
  const lines = (m.body || '').split('\n')
  const noticeAt = lines.findIndex((line) => HEALTH_NOTICES.includes(line.trim()))
  const notice = noticeAt >= 0 ? lines[noticeAt].trim() : ''
  const text = lines.filter((_, i) => i !== noticeAt).join('\n').trim()
  const kind = notice ? 'content' : m.purpose === 'service' ? 'recall' : 'other'
  const first = text.split('\n')[0] || ''
  return { kind, text, notice, preview: first.length > 40 ? `${first.slice(0, 40)}…` : first }
}
