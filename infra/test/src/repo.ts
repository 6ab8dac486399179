import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository root (this file is infra/test/src/repo.ts). */
export const root = resolve(import.meta.dirname, '..', '..', '..');
export const k8sDir = join(root, 'infra', 'k8s');

/** One rendered Kubernetes object; only the fields the checks read are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** `kubectl kustomize DIR`, parsed. Throws with kubectl's message when it fails or is missing. */
export function kustomize(dir: string): K8sObject[] {
  checkKustomizeVersion();
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(KUBECTL_NEEDED);
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir}: ${doc.errors.map(String).join('; ')}`);
    return doc.toJS() as K8sObject;
  });
}

const KUBECTL_NEEDED = 'kubectl 1.21 or newer is needed to render infra/k8s (kustomize v4+); see scripts/bootstrap.sh';
let kustomizeChecked = false;

/** Components and `labels` need kustomize v4+ (kubectl 1.21+); Debian bookworm's kubectl 1.20 has v2. */
function checkKustomizeVersion(): void {
  if (kustomizeChecked) return;
  let version: string;
  try {
    version = execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    throw new Error(KUBECTL_NEEDED);
  }
  const major = Number(/Kustomize Version: v(\d+)/.exec(version)?.[1] ?? '0');
  if (major < 4) throw new Error(`${KUBECTL_NEEDED}; found: ${version.trim().replaceAll('\n', ', ')}`);
  kustomizeChecked = true;
}

/** The secret files the production overlay reads, with throwaway values (the operator's own in real use). */
export const PRODUCTION_SECRET_FILES: Record<string, string> = {
  'nats.env': 'proxy-password=p0000000000000000000000000000001\nconfig-password=c0000000000000000000000000000001\nanalytics-password=a0000000000000000000000000000001\n',
  'operator.env': 'nats-password=o0000000000000000000000000000001\n',
  'http-tokens.env': 'config-tokens=ops:t0000000000000000000000000000001\nadmin-token=t0000000000000000000000000000002\nanalytics-token=t0000000000000000000000000000003\n',
  'datastores.env': 'redis-password=r0000000000000000000000000000001\nclickhouse-password=h0000000000000000000000000000001\n',
};

/**
 * A copy of infra/k8s in a temporary folder, with the production overlay's secret files written
 * (they are not in the repository).
 */
export function k8sCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'graylane-k8s-')), 'k8s');
  cpSync(k8sDir, dir, { recursive: true, filter: (source) => !source.includes(join('production', 'secrets')) });
  mkdirSync(join(dir, 'overlays', 'production', 'secrets'), { recursive: true });
  for (const [file, content] of Object.entries(PRODUCTION_SECRET_FILES)) writeFileSync(join(dir, 'overlays', 'production', 'secrets', file), content);
  return dir;
}

export function readText(...path: string[]): string {
  return readFileSync(join(root, ...path), 'utf8');
}

/** The containers (and init containers) of a workload's pod template, or of a Pod. */
export function podSpec(object: K8sObject): PodSpec | undefined {
  const spec = object.spec as { template?: { spec?: PodSpec }; jobTemplate?: unknown } | undefined;
  if (object.kind === 'Pod') return object.spec as PodSpec;
  return spec?.template?.spec;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  startupProbe?: unknown;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { drop?: string[]; add?: string[] };
    privileged?: boolean;
    seccompProfile?: { type: string };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  topologySpreadConstraints?: unknown[];
  volumes?: { name: string; emptyDir?: unknown; configMap?: { name: string } }[];
  hostNetwork?: boolean;
  hostPID?: boolean;
}

/** Workload kinds that carry a pod template. */
export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);
