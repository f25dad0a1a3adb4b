// The app: pages sign in themselves (pages/launch). An invite code a friend's share or QR code
// brought is kept here too, whichever page WeChat opens first, so 建档 can send it.
import { keepInviteCode } from './api/invite'

App({
  globalData: {
    version: '0.1.0',
  },
  onLaunch(options: WechatMiniprogram.App.LaunchShowOption) {
    if (options && options.query && options.query.invite) keepInviteCode(options.query.invite)
  },
})
