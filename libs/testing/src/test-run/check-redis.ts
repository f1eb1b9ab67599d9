// `npm test` runs this before its build (node -r @swc-node/register), so a host that cannot have a
// Redis hears so within seconds instead of after the build. Silent when a Redis answers or can be
// started; otherwise one line and exit code 1.
import { findRedisForTests } from './redis-for-tests';

findRedisForTests().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
