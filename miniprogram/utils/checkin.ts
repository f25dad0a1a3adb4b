/**
 * Opening the check-in tab on one type (a task or challenge card: 去打卡 on 体重). The check-in page
 * is a tab, and wx.switchTab carries no query, so the type waits in storage until the page shows
 * (its onShow takes it); a page opened with ?type=<code> (DevTools, a shared path) selects it too.
 */
const WANTED_KEY = 'revisit.checkinWanted'

export const CHECKIN_TAB = '/pages/checkin/index'

export function openCheckin(type = ''): void {
  if (type) wx.setStorageSync(WANTED_KEY, type)
  else wx.removeStorageSync(WANTED_KEY)
  wx.switchTab({ url: CHECKIN_TAB })
}

/** The type a card asked for, once (it is forgotten when taken); '' when none. */
export function takeWantedCheckin(): string {
  const type = wx.getStorageSync(WANTED_KEY) as string
  if (type) wx.removeStorageSync(WANTED_KEY)
  return typeof type === 'string' ? type : ''
}
