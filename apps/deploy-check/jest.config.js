// Renders the Kubernetes overlays (deploy/k8s) with the real kustomize binary, runs the checker as a
// child process, boots one built app to GET the probe paths, and runs the k8s scripts in --dry-run.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'deploy-check',
  rootDir: __dirname,
  testTimeout: 60000,
  // testTimeout is a global option, ignored when the root config runs this as one of its projects.
  setupFilesAfterEnv: ['<rootDir>/src/support/test-timeout.ts'],
};
