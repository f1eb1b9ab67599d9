// Schema validation with kubernetes-models, plus the unknown-field check it does not do.
//
// kubernetes-models ships its OpenAPI schemas compiled into ajv validators (_schemas/*.js), so
// there is no JSON schema to walk. Instead the object is validated through a Proxy that records
// which keys the validator reads at each path: a validator reads every property its schema
// declares, and enumerates the keys of maps (labels, data, resources.limits). A key that was
// neither read nor enumerated is one the schema does not know.

/** apiVersion + kind → the kubernetes-models class, or null when the package has none. */
export async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return null;
  if (!/^[a-z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) return null;
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind] ?? null;
  } catch (error) {
    if (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
    throw error;
  }
}

const MAP = Symbol('map');

function tracked(value, path, reads) {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const child = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return child;
      const seen = reads.get(path) ?? new Set();
      reads.set(path, seen);
      if (seen !== MAP) seen.add(key);
      return tracked(child, `${path}/${key}`, reads);
    },
    ownKeys(target) {
      reads.set(path, MAP);
      return Reflect.ownKeys(target);
    },
  });
}

function unreadKeys(value, path, reads, out) {
  if (value === null || typeof value !== 'object') return;
  const seen = reads.get(path);
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${key}`;
    if (Array.isArray(value) || seen === MAP || seen?.has(key)) unreadKeys(child, childPath, reads, out);
    else out.push(childPath);
  }
}

/** One problem per schema error and per unknown field of `doc`: `{ rule, path, message }`. */
export function schemaProblems(Model, doc) {
  const problems = [];
  try {
    new Model(doc).validate();
  } catch (error) {
    for (const e of error.errors ?? [{ instancePath: '', message: error.message }]) {
      problems.push({
        rule: 'schema',
        path: e.instancePath || '/',
        message: `${e.instancePath || '/'} ${e.message}`,
      });
    }
  }
  const reads = new Map();
  try {
    Model.prototype.validate.call(tracked(doc, '', reads));
  } catch {
    // Already reported above; this pass only records what the validator read.
  }
  const unknown = [];
  unreadKeys(doc, '', reads, unknown);
  for (const path of unknown)
    problems.push({ rule: 'unknown-field', path, message: `${path} is not a field of ${doc.kind}` });
  return problems;
}
