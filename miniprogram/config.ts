/**
 * The one place for where the mini-program talks to and which clinic it belongs to.
 * Pages and the API module read these values; nothing else hard-codes a URL or a clinic id.
 *
 * Local development: `make run` serves the API on http://127.0.0.1:8000 (DevTools: 详情 -> 本地设置 ->
 * 不校验合法域名). A clinic's release build sets its HTTPS API domain (listed among the AppID's
 * request domains) and its clinic id. See docs/miniprogram.md.
 */
export const config = {
  /** the API root, no trailing slash */
  apiBaseUrl: 'http://127.0.0.1:8000',
  /** the clinic this mini-program belongs to (sent with the WeChat login) */
  clinicId: 'demo-dental',
  /** wx.request timeout in milliseconds */
  requestTimeoutMs: 15000,
  /**
   * Local stack only: the fake WeChat server accepts login codes shaped `wx-<name>` (printed by
   * `make run`), which DevTools' wx.login does not give. Leave empty for any real AppID.
   */
  devLoginCode: '',
}

export type Config = typeof config
