import { isExecutableFile } from './executable';
import { TestRunError } from './test-run-error';

/** Where Debian, Ubuntu and Google's packages put a Chromium or Chrome the browser specs can drive. */
export const USUAL_CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

export const CHROMIUM_INSTALL_HINT =
  'install it (Debian: sudo apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable';

/**
 * The Chromium the browser specs launch: CHROMIUM_PATH when set (it must be executable), else the
 * first of the usual paths. Throws a TestRunError of one line saying how to get one.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['CHROMIUM_PATH'];
  if (configured) {
    if (isExecutableFile(configured)) return configured;
    throw new TestRunError(
      `No Chromium for the browser specs: CHROMIUM_PATH=${configured} is not an executable file; ${CHROMIUM_INSTALL_HINT}.`,
    );
  }
  const found = USUAL_CHROMIUM_PATHS.find(isExecutableFile);
  if (found) return found;
  throw new TestRunError(
    `No Chromium for the browser specs (CHROMIUM_PATH is unset, none at ${USUAL_CHROMIUM_PATHS.join(', ')}): ${CHROMIUM_INSTALL_HINT}.`,
  );
}
