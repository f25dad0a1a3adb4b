/**
 * 关怀模式 (care mode): larger type and higher contrast for older patients. It follows the
 * WeChat font size the patient chose (我 -> 设置 -> 通用 -> 字体大小) until they switch it on or
 * off themselves on the 我的 page; the choice is kept on the phone.
 *
 * Every page takes the `careMode` behaviour and puts `{{careClass}}` on its root view; app.wxss
 * holds the larger sizes and stronger colours under `.care`.
 */
const KEY = 'care_mode'
// WeChat's standard size is 16-17 px; from here on the patient asked for large type.
const LARGE_FONT_PX = 20

function systemFontPx(): number {
  try {
    const info = typeof wx.getAppBaseInfo === 'function' ? wx.getAppBaseInfo() : wx.getSystemInfoSync()
    return Number((info as { fontSizeSetting?: number }).fontSizeSetting) || 0
  } catch {
    return 0
  }
}

/** Whether care mode is on: the patient's own choice, else the system font size. */
export function careEnabled(): boolean {
  const chosen = wx.getStorageSync(KEY)
  if (chosen === 'on') return true
  if (chosen === 'off') return false
  return systemFontPx() >= LARGE_FONT_PX
}

/** Whether the patient chose themselves (else care mode follows the system font size). */
export function careChosen(): boolean {
  const chosen = wx.getStorageSync(KEY)
  return chosen === 'on' || chosen === 'off'
}

export function setCareMode(on: boolean): void {
  wx.setStorageSync(KEY, on ? 'on' : 'off')
}

export function careClass(): string {
  return careEnabled() ? 'care' : ''
}

/** The behaviour every page takes: `careClass` in its data, updated whenever the page shows. */
export const careMode = Behavior({
  data: { careClass: '' },
  lifetimes: {
    attached() {
      this.setData({ careClass: careClass() })
    },
  },
  pageLifetimes: {
    show() {
      const now = careClass()
      if (now !== this.data.careClass) this.setData({ careClass: now })
    },
  },
})
