#!/usr/bin/env node
// The registry this project installs from serves only the Linux builds of some optional,
// platform-specific packages (@swc/core-*, @unrs/resolver-binding-*, msgpackr-extract-*), so npm
// leaves the others out of package-lock.json, and `npm ci` then refuses the lockfile as "Missing".
// This adds each missing optional platform package as an entry that npm never fetches on Linux:
// marked optional, with the os/cpu its name states, so `npm ci` can check the tree.
// Run after `npm install` changes the lockfile: node tools/complete-lockfile.js
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;

const OS = [
  'darwin',
  'linux',
  'win32',
  'android',
  'freebsd',
  'openharmony',
  'sunos',
  'aix',
  'netbsd',
  'openbsd',
];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'wasm32'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  return { os: parts.find((p) => OS.includes(p)), cpu: parts.find((p) => CPU.includes(p)) };
}

let added = 0;
for (const [where, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = where === '' ? 'node_modules' : `${where}/node_modules`;
    const nested = `${base}/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const { os, cpu } = platformOf(name);
    if (!os && !cpu) continue; // not a platform package: leave npm's decision alone
    if (os === 'linux' && cpu === 'x64') continue;
    packages[hoisted] = {
      version: version.replace(/^[\^~=]/, ''),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
    };
    added += 1;
  }
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
