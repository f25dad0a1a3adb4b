// The request-count benchmark (bench/miniprogram_requests.py) runs the pages as the tests do.
module.exports = {
  rootDir: '..',
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/bench'],
  testMatch: ['**/*.bench.js'],
  testTimeout: 20000,
}
