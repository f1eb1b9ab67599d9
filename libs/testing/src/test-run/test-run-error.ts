/**
 * A reason the test run cannot go on that a person fixes on the host (install Redis, install
 * Chromium): one line, without a stack trace, since where it was thrown says nothing more.
 */
export class TestRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestRunError';
    this.stack = message;
  }
}
