// Checks across the resources of one rendered overlay: probes on paths the apps serve, selectors
// that select something, references that resolve, ZeroMQ endpoints that name real pods.
import {
  ADMIN_PORT_NAME,
  APP_ENV,
  APP_SHUTDOWN_SEC,
  COMMON_ENV,
  EVERY_MEMBER_LISTS,
  PROBE_PATHS,
  PUBLIC_HTTP_APPS,
  PUBLIC_HTTP_ENV,
  SERVED_PATHS,
} from './apps.mjs';
import { checkNetworkPolicies, ingressTable } from './network.mjs';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet']);
const PROBES = Object.keys(PROBE_PATHS);
const ZMQ_TCP = /^tcp:\/\/([^\s:,]+):(\d+)$/;

const idOf = (doc) => `${doc.kind}/${doc.metadata?.name}`;

/** Every key of `selector` present with the same value in `labels`. */
function selects(selector, labels) {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels?.[key] === value);
}

function podSpecOf(workload) {
  return workload.spec?.template?.spec ?? {};
}

function containersOf(workload) {
  return podSpecOf(workload).containers ?? [];
}

function podLabelsOf(workload) {
  return workload.spec?.template?.metadata?.labels ?? {};
}

/** Seconds a `preStop: exec: [sleep, N]` hook waits, else 0. */
function preStopSleepSec(container) {
  const command = container.lifecycle?.preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) || 0 : 0;
}

function portMatches(container, port) {
  const ports = container.ports ?? [];
  return typeof port === 'string'
    ? ports.some((p) => p.name === port)
    : ports.some((p) => p.containerPort === port);
}

class Overlay {
  constructor(docs, externals) {
    this.docs = docs;
    this.externals = externals;
    this.problems = [];
    this.unknownPeers = new Set();
    this.byKind = new Map();
    for (const doc of docs) {
      const names = this.byKind.get(doc.kind) ?? new Map();
      this.byKind.set(doc.kind, names);
      if (names.has(doc.metadata?.name)) this.report(doc, 'duplicate', `${idOf(doc)} is rendered twice`);
      names.set(doc.metadata?.name, doc);
    }
    this.workloads = docs.filter((doc) => WORKLOAD_KINDS.has(doc.kind));
  }

  report(doc, rule, message) {
    this.problems.push({ resource: idOf(doc), rule, message });
  }

  get(kind, name) {
    return this.byKind.get(kind)?.get(name);
  }

  all(kind) {
    return [...(this.byKind.get(kind)?.values() ?? [])];
  }

  workloadsSelectedBy(selector) {
    return this.workloads.filter((w) => selects(selector, podLabelsOf(w)));
  }

  /** Keys of a ConfigMap or Secret: rendered, or declared external; null when neither. */
  keysOf(kind, name) {
    const rendered = this.get(kind, name);
    if (rendered)
      return new Set([...Object.keys(rendered.data ?? {}), ...Object.keys(rendered.stringData ?? {})]);
    const list = kind === 'Secret' ? this.externals.secrets : this.externals.configMaps;
    const external = list.find((entry) => entry.name === name);
    return external ? new Set(external.keys) : null;
  }

  /** A container's variables by name: its env entries, then the keys of its envFrom sources. */
  envOf(container) {
    const vars = new Map();
    for (const source of container.envFrom ?? []) {
      const ref = source.configMapRef ?? source.secretRef;
      const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
      const rendered = ref ? this.get(kind, ref.name) : undefined;
      for (const key of this.keysOf(kind, ref?.name) ?? []) {
        vars.set(`${source.prefix ?? ''}${key}`, {
          value: rendered?.data?.[key],
          from: `${kind}/${ref.name}`,
        });
      }
    }
    for (const entry of container.env ?? []) vars.set(entry.name, { value: entry.value, from: 'env' });
    return vars;
  }
}

function checkWorkload(o, workload) {
  if (!selects(workload.spec?.selector?.matchLabels, podLabelsOf(workload))) {
    o.report(workload, 'selector', 'spec.selector.matchLabels does not match the pod template labels');
  }
  const pod = podSpecOf(workload);
  for (const container of containersOf(workload)) {
    const where = `container ${container.name}`;
    const isApp = Object.hasOwn(APP_ENV, container.name);
    for (const probeName of PROBES) {
      const probe = container[probeName];
      if (!probe) {
        o.report(workload, 'probe-missing', `${where} has no ${probeName}`);
        continue;
      }
      const handler = probe.httpGet ?? probe.tcpSocket ?? probe.grpc;
      if (handler?.port !== undefined && !portMatches(container, handler.port)) {
        o.report(
          workload,
          'probe-port',
          `${where} ${probeName} uses port ${handler.port}, which the container does not declare`,
        );
      }
      if (probe.httpGet && !SERVED_PATHS.includes(probe.httpGet.path)) {
        o.report(
          workload,
          'probe-path',
          `${where} ${probeName} GETs ${probe.httpGet.path}, which no app serves (${SERVED_PATHS.join(', ')})`,
        );
      }
      if (isApp && probe.httpGet?.path !== PROBE_PATHS[probeName]) {
        o.report(workload, 'probe-path', `${where} ${probeName} must GET ${PROBE_PATHS[probeName]}`);
      }
      if (isApp && probe.httpGet && probe.httpGet.port !== ADMIN_PORT_NAME) {
        o.report(workload, 'probe-port', `${where} ${probeName} must use port ${ADMIN_PORT_NAME}`);
      }
    }
    const { requests, limits } = container.resources ?? {};
    for (const [name, amounts] of [
      ['requests', requests],
      ['limits', limits],
    ]) {
      if (!amounts?.cpu || !amounts?.memory)
        o.report(workload, 'resources', `${where} needs cpu and memory ${name}`);
    }
    if (isApp) checkAppContainer(o, workload, container, pod);
  }
  const annotations = workload.spec?.template?.metadata?.annotations ?? {};
  if (annotations['prometheus.io/scrape'] === 'true') {
    const port = Number(annotations['prometheus.io/port']);
    if (!containersOf(workload).some((c) => portMatches(c, port))) {
      o.report(
        workload,
        'scrape',
        `prometheus.io/port ${annotations['prometheus.io/port']} is not a container port`,
      );
    }
    const adminPorts = containersOf(workload)
      .filter((c) => Object.hasOwn(APP_ENV, c.name))
      .map((c) => (c.ports ?? []).find((p) => p.name === ADMIN_PORT_NAME)?.containerPort);
    if (adminPorts.length > 0 && !adminPorts.includes(port)) {
      o.report(workload, 'scrape', `prometheus.io/port ${port} is not the ${ADMIN_PORT_NAME} port`);
    }
    if (!SERVED_PATHS.includes(annotations['prometheus.io/path'] ?? '/metrics')) {
      o.report(workload, 'scrape', `prometheus.io/path ${annotations['prometheus.io/path']} is not served`);
    }
  }
  if (workload.kind === 'Deployment') {
    const rolling = workload.spec?.strategy?.rollingUpdate;
    if (workload.spec?.strategy?.type !== 'RollingUpdate' || String(rolling?.maxUnavailable) !== '0') {
      o.report(
        workload,
        'strategy',
        'a Deployment rolls with maxUnavailable 0, so no capacity is lost during an update',
      );
    }
  }
  if (workload.kind === 'StatefulSet') {
    const service = o.get('Service', workload.spec?.serviceName);
    if (!service || service.spec?.clusterIP !== 'None') {
      o.report(
        workload,
        'service-name',
        `serviceName ${workload.spec?.serviceName} is not a headless Service of the render`,
      );
    }
  }
}

function checkAppContainer(o, workload, container, pod) {
  const where = `container ${container.name}`;
  const env = o.envOf(container);
  const isPublic = PUBLIC_HTTP_APPS.includes(container.name);
  for (const name of [...COMMON_ENV, ...(isPublic ? PUBLIC_HTTP_ENV : []), ...APP_ENV[container.name]]) {
    if (!env.has(name)) o.report(workload, 'app-env', `${where} is not given ${name}`);
  }
  if (env.has('APP') && env.get('APP').value !== container.name) {
    o.report(workload, 'app-env', `${where} runs APP=${env.get('APP').value}`);
  }
  const listeners = [[ADMIN_PORT_NAME, 'ADMIN_PORT']];
  if (isPublic) listeners.push(['http', 'HTTP_PORT']);
  else if ((container.ports ?? []).some((p) => p.name === 'http')) {
    o.report(workload, 'app-port', `${where} declares an http port, but the app serves no public HTTP`);
  }
  for (const [portName, variable] of listeners) {
    const port = (container.ports ?? []).find((p) => p.name === portName)?.containerPort;
    if (port === undefined) o.report(workload, 'app-port', `${where} has no port named ${portName}`);
    else if (env.has(variable) && Number(env.get(variable).value) !== port) {
      o.report(
        workload,
        'app-port',
        `${where} listens on ${variable} ${env.get(variable).value}, its ${portName} port is ${port}`,
      );
    }
  }
  if (isPublic && env.has('HTTP_PORT') && env.get('HTTP_PORT').value === env.get('ADMIN_PORT')?.value) {
    o.report(workload, 'app-port', `${where} serves its admin routes on its public port`);
  }
  const security = container.securityContext ?? {};
  if (!(security.runAsNonRoot ?? pod.securityContext?.runAsNonRoot))
    o.report(workload, 'security', `${where} must run as non-root`);
  if (security.readOnlyRootFilesystem !== true)
    o.report(workload, 'security', `${where} needs readOnlyRootFilesystem`);
  if (security.allowPrivilegeEscalation !== false)
    o.report(workload, 'security', `${where} must not allow privilege escalation`);
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  const needed = APP_SHUTDOWN_SEC + preStopSleepSec(container) + 5;
  if (grace < needed) {
    o.report(
      workload,
      'grace',
      `terminationGracePeriodSeconds ${grace} is shorter than preStop + ${APP_SHUTDOWN_SEC} s drain + 5 s (${needed})`,
    );
  }
}

function checkReferences(o, workload) {
  const pod = podSpecOf(workload);
  const refs = [];
  for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    for (const entry of container.env ?? []) {
      const { configMapKeyRef: cm, secretKeyRef: secret } = entry.valueFrom ?? {};
      if (cm) refs.push({ kind: 'ConfigMap', ...cm });
      if (secret) refs.push({ kind: 'Secret', ...secret });
    }
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef) refs.push({ kind: 'ConfigMap', ...source.configMapRef });
      if (source.secretRef) refs.push({ kind: 'Secret', ...source.secretRef });
    }
  }
  for (const volume of pod.volumes ?? []) {
    if (volume.configMap) refs.push({ kind: 'ConfigMap', ...volume.configMap });
    if (volume.secret) refs.push({ kind: 'Secret', ...volume.secret, name: volume.secret.secretName });
  }
  for (const ref of refs) {
    if (ref.optional) continue;
    const keys = o.keysOf(ref.kind, ref.name);
    if (!keys)
      o.report(
        workload,
        'reference',
        `${ref.kind} ${ref.name} is neither rendered nor declared in external-refs.yaml`,
      );
    else if (ref.key !== undefined && !keys.has(ref.key))
      o.report(workload, 'reference', `${ref.kind} ${ref.name} has no key ${ref.key}`);
  }
}

/**
 * ZeroMQ endpoints naming pods (tcp://<statefulset>-<i>.<service>:<port>) must name a pod that
 * exists and a port it declares; lists that must reach every broker must name every ordinal.
 */
function checkEndpoints(o, doc, name, value) {
  const endpoints = String(value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const targets = new Map();
  for (const endpoint of endpoints) {
    const match = ZMQ_TCP.exec(endpoint);
    if (!match) continue;
    const [, host, port] = match;
    const dns = /^([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)$/.exec(host);
    if (!dns) continue;
    const [, setName, ordinal, serviceName] = dns;
    const set = o.get('StatefulSet', setName);
    if (!set || set.spec?.serviceName !== serviceName) {
      o.report(
        doc,
        'endpoint',
        `${name}: ${endpoint} names no pod of a StatefulSet ${setName} under Service ${serviceName}`,
      );
      continue;
    }
    const replicas = set.spec?.replicas ?? 1;
    if (Number(ordinal) >= replicas)
      o.report(doc, 'endpoint', `${name}: ${endpoint} names pod ${ordinal}, but ${setName} runs ${replicas}`);
    if (!containersOf(set).some((c) => portMatches(c, Number(port)))) {
      o.report(doc, 'endpoint', `${name}: ${endpoint} names port ${port}, which ${setName} does not declare`);
    }
    targets.set(setName, (targets.get(setName) ?? new Set()).add(Number(ordinal)));
  }
  if (!EVERY_MEMBER_LISTS.includes(name)) return;
  for (const [setName, ordinals] of targets) {
    const replicas = o.get('StatefulSet', setName).spec?.replicas ?? 1;
    const missing = Array.from({ length: replicas }, (_, i) => i).filter((i) => !ordinals.has(i));
    if (missing.length > 0)
      o.report(doc, 'endpoint', `${name} misses ${missing.map((i) => `${setName}-${i}`).join(', ')}`);
  }
}

function checkServices(o) {
  for (const service of o.all('Service')) {
    const selector = service.spec?.selector;
    const selected = o.workloadsSelectedBy(selector);
    if (selected.length === 0) {
      o.report(
        service,
        'service-selector',
        `selector ${JSON.stringify(selector ?? {})} matches no workload's pods`,
      );
      continue;
    }
    for (const port of service.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const workload of selected) {
        if (!containersOf(workload).some((c) => portMatches(c, target))) {
          o.report(
            service,
            'service-port',
            `port ${port.name ?? port.port} targets ${target}, which ${idOf(workload)} does not declare`,
          );
        }
      }
    }
  }
}

function checkScaling(o) {
  const floors = new Map();
  for (const hpa of o.all('HorizontalPodAutoscaler')) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = WORKLOAD_KINDS.has(ref.kind) ? o.get(ref.kind, ref.name) : undefined;
    if (!target) {
      o.report(hpa, 'hpa-target', `scaleTargetRef ${ref.kind}/${ref.name} is not rendered`);
      continue;
    }
    floors.set(target, hpa.spec?.minReplicas ?? 1);
    if (target.spec?.replicas !== undefined) {
      o.report(
        target,
        'hpa-replicas',
        `${idOf(hpa)} owns the replica count; spec.replicas would reset it on every apply`,
      );
    }
  }
  const budgets = o.all('PodDisruptionBudget');
  for (const pdb of budgets) {
    if (o.workloadsSelectedBy(pdb.spec?.selector?.matchLabels).length === 0) {
      o.report(pdb, 'pdb-selector', "selector matches no workload's pods");
    }
  }
  for (const workload of o.workloads) {
    const replicas = floors.get(workload) ?? workload.spec?.replicas ?? 1;
    const covered = budgets.some((pdb) => selects(pdb.spec?.selector?.matchLabels, podLabelsOf(workload)));
    if (replicas > 1 && !covered)
      o.report(workload, 'pdb-missing', `${replicas} replicas and no PodDisruptionBudget`);
  }
}

/** Every problem of one rendered overlay: `{ resource, rule, message }`. */
export function overlayProblems(docs, externals) {
  const o = new Overlay(docs, externals);
  for (const workload of o.workloads) {
    checkWorkload(o, workload);
    checkReferences(o, workload);
    for (const container of containersOf(workload)) {
      for (const entry of container.env ?? []) checkEndpoints(o, workload, entry.name, entry.value);
    }
  }
  for (const configMap of o.all('ConfigMap')) {
    for (const [key, value] of Object.entries(configMap.data ?? {})) checkEndpoints(o, configMap, key, value);
  }
  checkServices(o);
  checkScaling(o);
  checkNetworkPolicies(o);
  return o.problems;
}

/** What each declared port of each workload is open to, as the overlay's NetworkPolicies say. */
export function overlayIngress(docs, externals) {
  return ingressTable(new Overlay(docs, externals));
}
