// NetworkPolicy checks of one rendered overlay: what each port of each pod is open to, evaluated
// the way Kubernetes does (a pod no policy selects is open to anyone; a selected pod only to what
// some rule of a selecting policy allows), compared with INGRESS and with the peers the apps'
// own environment says they connect to.
import { APP_ENV, EXTERNAL_PEERS, INGRESS, MONITORING } from './apps.mjs';

const NAME_LABEL = 'app.kubernetes.io/name';
const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';
/** Pod endpoints in the apps' environment: tcp://rpc-broker-0.rpc-broker:5555, redis://redis-0.redis:6379. */
const POD_ENDPOINT =
  /^(?:tcp|rediss?):\/\/(?:[^@/\s]*@)?([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)(?:\.[a-z0-9.-]+)?:(\d+)/;

/** Kubernetes label-selector semantics: an empty selector selects everything. */
export function selectorMatches(selector, labels) {
  const matchLabels = selector?.matchLabels ?? {};
  for (const [key, value] of Object.entries(matchLabels)) if (labels?.[key] !== value) return false;
  for (const { key, operator, values = [] } of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels ?? {}, key);
    if (operator === 'In' && !(has && values.includes(labels[key]))) return false;
    if (operator === 'NotIn' && has && values.includes(labels[key])) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function isEmptySelector(selector) {
  return (
    Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0
  );
}

/** The app names a selector limits pods to, or null when it does not limit the name. */
function namesOf(selector) {
  let names = null;
  const limit = (allowed) => {
    names = names === null ? allowed : names.filter((name) => allowed.includes(name));
  };
  const label = selector?.matchLabels?.[NAME_LABEL];
  if (label !== undefined) limit([label]);
  for (const { key, operator, values = [] } of selector?.matchExpressions ?? []) {
    if (key === NAME_LABEL && operator === 'In') limit(values);
  }
  return names;
}

const appOf = (workload) => workload.spec?.template?.metadata?.labels?.[NAME_LABEL];
const podLabelsOf = (workload) => workload.spec?.template?.metadata?.labels ?? {};
const containersOf = (workload) => workload.spec?.template?.spec?.containers ?? [];

/** The sources one `from` entry admits, as names: apps, `monitoring`, or a description of something wider. */
function peerSources(o, policy, peer) {
  if (peer.ipBlock) return [`ipBlock ${peer.ipBlock.cidr}`];
  const names = peer.podSelector === undefined ? null : namesOf(peer.podSelector);
  if (peer.namespaceSelector !== undefined) {
    const labels = peer.namespaceSelector.matchLabels ?? {};
    const namespace = labels[NAMESPACE_LABEL];
    const exact =
      namespace !== undefined &&
      Object.keys(labels).length === 1 &&
      (peer.namespaceSelector.matchExpressions ?? []).length === 0;
    const where = exact ? `namespace ${namespace}` : `namespaces ${JSON.stringify(peer.namespaceSelector)}`;
    if (exact && namespace === MONITORING.namespace && names?.length === 1 && names[0] === MONITORING.app)
      return ['monitoring'];
    return [names === null ? `every pod of ${where}` : `${names.join(', ')} of ${where}`];
  }
  if (names === null) return ['every pod of the namespace'];
  const selected = o.workloads
    .filter((w) => selectorMatches(peer.podSelector, podLabelsOf(w)))
    .map(appOf)
    .filter((name) => names.includes(name));
  for (const name of names) {
    const key = `${policy.metadata?.name} ${name}`;
    if (!selected.includes(name) && !EXTERNAL_PEERS.includes(name) && !o.unknownPeers.has(key)) {
      o.unknownPeers.add(key);
      o.report(policy, 'netpol-peer', `a rule admits ${name}, which no pod of the render is`);
    }
  }
  return [...new Set([...selected, ...names.filter((name) => EXTERNAL_PEERS.includes(name))])];
}

function ruleCoversPort(rule, port) {
  const ports = rule.ports ?? [];
  if (ports.length === 0) return true;
  return ports.some(
    (entry) =>
      (entry.protocol ?? 'TCP') === (port.protocol ?? 'TCP') &&
      (entry.port === undefined || entry.port === port.name || entry.port === port.containerPort),
  );
}

/** What may open a connection to `port` of the pods of `workload`: a sorted list of source names. */
function allowedSources(o, workload, port) {
  const labels = podLabelsOf(workload);
  const policies = o
    .all('NetworkPolicy')
    .filter(
      (p) =>
        selectorMatches(p.spec?.podSelector, labels) &&
        (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress'),
    );
  if (policies.length === 0) return ['anyone'];
  const sources = new Set();
  for (const policy of policies) {
    for (const rule of policy.spec?.ingress ?? []) {
      if (!ruleCoversPort(rule, port)) continue;
      const from = rule.from ?? [];
      if (from.length === 0) sources.add('anyone');
      for (const peer of from) for (const source of peerSources(o, policy, peer)) sources.add(source);
    }
  }
  return [...sources].sort();
}

/** Every declared port of every workload and what it is open to: the report's reachability table. */
export function ingressTable(o) {
  const rows = [];
  for (const workload of o.workloads) {
    for (const container of containersOf(workload)) {
      for (const port of container.ports ?? []) {
        rows.push({
          workload: `${workload.kind}/${workload.metadata?.name}`,
          app: appOf(workload),
          port: port.name ?? String(port.containerPort),
          allowed: allowedSources(o, workload, port),
        });
      }
    }
  }
  return rows;
}

const describe = (expected) => (Array.isArray(expected) ? [...expected].sort() : [expected]);

/** Problems: no default deny, policies that select nothing, ports open to more or fewer than INGRESS says. */
export function checkNetworkPolicies(o) {
  const policies = o.all('NetworkPolicy');
  const denies = policies.some(
    (p) =>
      isEmptySelector(p.spec?.podSelector) &&
      (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress') &&
      (p.spec?.ingress ?? []).length === 0,
  );
  if (!denies) {
    o.problems.push({
      resource: 'NetworkPolicy/*',
      rule: 'netpol-default-deny',
      message: 'no policy closes every pod of the namespace (podSelector {}, Ingress, no rules)',
    });
  }
  for (const policy of policies) {
    if (isEmptySelector(policy.spec?.podSelector)) continue;
    if (!o.workloads.some((w) => selectorMatches(policy.spec.podSelector, podLabelsOf(w)))) {
      o.report(
        policy,
        'netpol-selector',
        `podSelector ${JSON.stringify(policy.spec.podSelector)} selects no pod`,
      );
    }
  }
  for (const workload of o.workloads) {
    const app = appOf(workload);
    const wanted = INGRESS[app];
    if (!wanted) continue;
    const declared = containersOf(workload).flatMap((c) => c.ports ?? []);
    for (const port of declared) {
      const name = port.name ?? String(port.containerPort);
      if (!Object.hasOwn(wanted, name)) {
        o.report(workload, 'netpol-port', `port ${name} has no entry in INGRESS: say who may reach it`);
        continue;
      }
      const actual = allowedSources(o, workload, port);
      const expected = describe(wanted[name]);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        o.report(
          workload,
          'netpol-port',
          `port ${name} is open to [${actual.join(', ')}], must be open to [${expected.join(', ')}] only`,
        );
      }
    }
    for (const name of Object.keys(wanted)) {
      if (!declared.some((port) => port.name === name))
        o.report(workload, 'netpol-port', `INGRESS names port ${name}, which the pods do not declare`);
    }
  }
  checkDerivedNeeds(o);
}

/**
 * Each pod endpoint in a variable an app reads (APP_ENV: the shared ConfigMap gives every app every
 * endpoint, read or not) must be open to that app.
 */
function checkDerivedNeeds(o) {
  for (const workload of o.workloads) {
    const app = appOf(workload);
    for (const container of containersOf(workload)) {
      const reads = APP_ENV[container.name] ?? [];
      for (const [variable, { value }] of o.envOf(container)) {
        if (!reads.includes(variable)) continue;
        for (const endpoint of String(value ?? '').split(',')) {
          const match = POD_ENDPOINT.exec(endpoint.trim());
          if (!match) continue;
          const [, setName, , serviceName, portNumber] = match;
          const target = o.get('StatefulSet', setName);
          if (!target || target.spec?.serviceName !== serviceName) continue;
          const port = containersOf(target)
            .flatMap((c) => c.ports ?? [])
            .find((p) => p.containerPort === Number(portNumber));
          if (!port) continue;
          const allowed = allowedSources(o, target, port);
          if (!allowed.includes('anyone') && !allowed.includes(app)) {
            o.report(
              workload,
              'netpol-need',
              `${variable} names ${endpoint.trim()}, but ${setName}'s port ${port.name ?? portNumber} is closed to ${app}`,
            );
          }
        }
      }
    }
  }
}
