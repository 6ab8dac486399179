import type { PoolSpecV1, RolloutRecordV1 } from '@graylane/contracts';
import { basisPointsOrUndefined, bucketFrom, saltState, weightProblem } from './buckets.js';
import { CompileSite } from './compile-error.js';
import type { FactSource } from './fact-source.js';
import type { HashState } from './hash.js';
import { compileRules, type CompiledRule } from './rules.js';
import { compileStickyKey } from './sticky-key.js';
import type { CompiledRollout, Decision, DecisionReason, RequestFacts } from './types.js';

type Pool = CompiledRollout['stable'];

const FORCED_STABLE: Decision = Object.freeze({ side: 'stable', reason: 'state', bucket: -1 });
const FORCED_CANARY: Decision = Object.freeze({ side: 'canary', reason: 'state', bucket: -1 });

/** A compiled rollout; also carries what the table needs to match requests to it. */
export class Rollout implements CompiledRollout {
  constructor(
    readonly name: string,
    readonly stable: Pool,
    readonly canary: Pool,
    readonly basisPoints: number,
    readonly salt: string,
    readonly responseHeaders: boolean,
    readonly state: RolloutRecordV1['state'],
    /** lower-case hosts; empty when the rollout matches any host */
    readonly hosts: readonly string[],
    readonly pathPrefix: string,
    /** the decision every request gets whatever its facts, from the state; undefined when live */
    private readonly forced: Decision | undefined,
    private readonly rules: readonly CompiledRule[],
    private readonly stickyKey: readonly FactSource[],
    private readonly saltHash: HashState,
  ) {
    Object.freeze(this);
  }

  decide(facts: RequestFacts): Decision {
    if (this.forced !== undefined) return this.forced;
    for (const rule of this.rules) {
      if (rule.matches(facts)) return rule.decision;
    }
    // Session bindings, then region pools and their health (DESIGN flow 3), go here: after the
    // explicit rules, before the weight.
    for (const source of this.stickyKey) {
      const key = source.read(facts);
      if (key !== undefined && key.length > 0) return this.byBucket(key, 'weight');
    }
    return this.byBucket(facts.clientIp, 'no-key');
  }

  private byBucket(key: string, reason: DecisionReason): Decision {
    const bucket = bucketFrom(this.saltHash, key);
    return { side: bucket < this.basisPoints ? 'canary' : 'stable', reason, bucket };
  }
}

/**
 * Compiles one rollout record as {@link compileTable} would, so the config service can refuse a
 * bad rollout before writing it. Throws GRAYLANE_VALIDATION naming the rollout and the field.
 */
export function compileRollout(record: RolloutRecordV1): CompiledRollout {
  return compileRolloutAt(record, new CompileSite(record.name, ''));
}

/** {@link compileRollout} with errors pointing inside a larger document. */
export function compileRolloutAt(record: RolloutRecordV1, site: CompileSite): Rollout {
  const { spec } = record;
  const basisPoints = basisPointsOrUndefined(spec.traffic.weight);
  if (basisPoints === undefined) {
    throw site.error(
      'GRAYLANE_VALIDATION',
      ['spec', 'traffic', 'weight'],
      `invalid weight ${String(spec.traffic.weight)}: ${weightProblem(spec.traffic.weight)}`,
    );
  }
  const salt = spec.traffic.salt ?? record.name;
  return new Rollout(
    record.name,
    pool(spec.stable),
    pool(spec.canary),
    basisPoints,
    salt,
    spec.responseHeaders ?? false,
    record.state,
    compileHosts(spec.match.hosts, site),
    spec.match.pathPrefix ?? '/',
    forcedBy(record.state),
    compileRules(spec.rules, site),
    compileStickyKey(spec.traffic.stickyKey, site),
    saltState(salt),
  );
}

function forcedBy(state: RolloutRecordV1['state']): Decision | undefined {
  switch (state) {
    case 'aborted':
    case 'rolled_back':
      return FORCED_STABLE;
    case 'promoted':
      return FORCED_CANARY;
    case 'progressing':
    case 'paused':
      return undefined;
  }
}

function pool(spec: PoolSpecV1): Pool {
  return Object.freeze({ name: spec.name, upstreams: Object.freeze([...spec.upstreams]) });
}

function compileHosts(hosts: readonly string[] | undefined, site: CompileSite): readonly string[] {
  const unique = new Set<string>();
  (hosts ?? []).forEach((host, index) => {
    if (host.includes('*')) {
      throw site.error(
        'GRAYLANE_VALIDATION',
        ['spec', 'match', 'hosts', index],
        `wildcard host ${JSON.stringify(host)} is not supported; list each host, or list none to match any host`,
      );
    }
    unique.add(host.toLowerCase());
  });
  return Object.freeze([...unique]);
}
