// Pages are loaded from build/ (scripts/build.js) by miniprogram-simulate, which needs a DOM.
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.js'],
  testTimeout: 20000,
  // as WeChat does: a bare require from a library file also looks in the nearest miniprogram_npm/
  moduleDirectories: ['node_modules', 'miniprogram_npm'],
}
