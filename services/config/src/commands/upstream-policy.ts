import { GraylaneError, type RolloutBodyV1 } from '@graylane/contracts';
import { metadataTargetOf } from '@graylane/routing';

/** What the operator allows upstreams to point at, beyond what any proxy can reach. */
export interface UpstreamPolicy {
  /**
   * `GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS=true`: accept upstreams in link-local and cloud metadata
   * ranges (see METADATA_TARGETS in @graylane/routing). Off by default: a rollout there would let
   * any client of the proxy read the instance's metadata, credentials included.
   */
  readonly allowLinkLocal: boolean;
}

export const DEFAULT_UPSTREAM_POLICY: UpstreamPolicy = Object.freeze({ allowLinkLocal: false });

/** Throws GRAYLANE_VALIDATION naming the first upstream of `spec` the policy refuses (field under `base`). */
export function checkUpstreamTargets(spec: RolloutBodyV1, policy: UpstreamPolicy, base: string): void {
  if (policy.allowLinkLocal) return;
  const lists: [string, readonly string[]][] = [
    ['stable/upstreams', spec.stable.upstreams],
    ['canary/upstreams', spec.canary.upstreams],
  ];
  for (const [region, pools] of Object.entries(spec.regions?.pools ?? {})) {
    lists.push([`regions/pools/${region.replaceAll('~', '~0').replaceAll('/', '~1')}/stable`, pools.stable]);
    if (pools.canary !== undefined) lists.push([`regions/pools/${region.replaceAll('~', '~0').replaceAll('/', '~1')}/canary`, pools.canary]);
  }
  for (const [path, upstreams] of lists) {
    upstreams.forEach((upstream, index) => {
      const target = metadataTargetOf(upstream);
      if (target === undefined) return;
      throw new GraylaneError(
        'GRAYLANE_VALIDATION',
        `upstream ${JSON.stringify(upstream)} is in a link-local or metadata range (${target}); set GRAYLANE_ALLOW_LINK_LOCAL_UPSTREAMS=true on the config service if you mean it`,
        { field: `${base}/${path}/${index}` },
      );
    });
  }
}
