// Pages are loaded from build/ (scripts/build.js) by miniprogram-simulate, which needs a DOM.
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.js'],
  testTimeout: 20000,
  moduleDirectories: ['node_modules', 'miniprogram_npm'],
}
