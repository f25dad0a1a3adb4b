// The app: pages sign in themselves (pages/launch); nothing global is kept here but the version.
App({
  globalData: {
    version: '0.1.0',
  },
})
