import {
  cookieValueStart,
  lastCookieValueEnd,
  type CompiledRollout,
  type Decision,
  type DecisionReason,
  type ListedUser,
  type PoolHealth,
  type RequestFacts,
} from '@graylane/routing';
import { NONE, type BindingStore, type LookupKeys } from '../session/binding-store.js';
import { OVERRIDE_HEADER, verifyOverride } from './override-signature.js';

/** What the decider may use; every part is optional, so a proxy without Redis or a secret still routes. */
export interface RequestDeciderOptions {
  /** session bindings and user sets; without it sessions are not bound */
  bindings?: BindingStore | undefined;
  /** HMAC key of the override header; without it the header is ignored */
  overrideSecret?: string | undefined;
  /** pool health for region fallback; without it every pool counts as healthy */
  health?: PoolHealth | undefined;
  now?: () => number;
}

/** What {@link RequestDecider.decide} found out besides the decision, for the explain endpoint. */
export interface DecisionContext {
  sessionId: string | undefined;
  /** the binding the decision saw ('' = Redis has none), or undefined when unknown (not looked up in time) */
  binding: string | undefined;
  listedUser: ListedUser | undefined;
  overrideValid: boolean;
}

/**
 * The async shell around the pure `decide()`: it supplies the facts that live outside the request
 * (the session binding and user-set membership from Redis, a verified override) and writes new
 * bindings afterwards. `decide` is synchronous and answers from the local cache; when the cache
 * does not know and Redis was not asked yet, it returns undefined and the caller awaits
 * {@link lookUp} (which resolves by the deadline) and calls again with `lookedUp` true.
 */
export class RequestDecider {
  /** Decisions by reason since start; `no-key` counts requests routed by IP for lack of a sticky key. */
  readonly reasons: Record<DecisionReason, number> = {
    state: 0,
    override: 0,
    rule: 0,
    'user-list': 0,
    session: 0,
    weight: 0,
    'no-key': 0,
    'region-fallback': 0,
  };

  constructor(private readonly options: RequestDeciderOptions = {}) {}

  decide(rollout: CompiledRollout, facts: RequestFacts, lookedUp: boolean, context?: DecisionContext): Decision | undefined {
    const { bindings, overrideSecret } = this.options;
    if (overrideSecret !== undefined) {
      const value = facts.header(OVERRIDE_HEADER);
      if (value !== undefined) {
        facts.override = verifyOverride(overrideSecret, rollout.name, value, this.now());
        if (context !== undefined) context.overrideValid = facts.override !== undefined;
      }
    }
    // The session id is `idText.slice(idStart, idEnd)`: read in place from the Cookie header when
    // the facts have it, so a cache hit (the common case) never makes a string of it.
    let idText: string | undefined;
    let idStart = 0;
    let idEnd = 0;
    let bindingKnown = true;
    // A forced state (rolled back, aborted, promoted) overrides bindings and lists: don't ask Redis for them.
    if (bindings !== undefined && !isForced(rollout)) {
      const session = rollout.session;
      if (session !== undefined) {
        const header = facts.rawCookieHeader;
        if (header !== undefined) {
          idStart = cookieValueStart(header, session.cookie);
          if (idStart >= 0) {
            idText = header;
            idEnd = lastCookieValueEnd();
          }
        } else {
          idText = facts.cookie(session.cookie);
          idEnd = idText === undefined ? 0 : idText.length;
        }
        if (idText !== undefined && !bindings.usableLength(idEnd - idStart)) idText = undefined;
        if (idText !== undefined) {
          const cached = bindings.cachedBindingIn(rollout.name, idText, idStart, idEnd);
          if (cached === undefined) {
            if (!lookedUp) return undefined;
            bindingKnown = false;
          } else if (cached !== NONE) {
            facts.sessionBinding = cached;
          }
          if (context !== undefined) context.binding = cached;
        }
      }
      if (rollout.userSets.allow !== undefined || rollout.userSets.deny !== undefined) {
        const userKey = bindings.usableId(rollout.stickyKeyOf(facts));
        if (userKey !== undefined) {
          const listing = bindings.cachedListing(rollout.name, userKey);
          if (listing === undefined && !lookedUp) return undefined;
          if (listing === 'allow' || listing === 'deny') facts.listedUser = listing;
        }
      }
    }
    const decision = rollout.decide(facts, this.options.health);
    if (context !== undefined) {
      context.sessionId = idText?.slice(idStart, idEnd);
      context.listedUser = facts.listedUser;
      return decision;
    }
    if (bindings !== undefined && idText !== undefined && decision.bindable && rollout.session !== undefined) {
      // Known to be unbound (or bound to a retired version): write over it. Unknown because Redis
      // missed its deadline: write only if still unbound, so a slow Redis cannot move a session.
      bindings.bind(rollout.name, idText.slice(idStart, idEnd), rollout.bindingValue(decision.side), rollout.session.ttlMs, bindingKnown);
    }
    this.reasons[decision.reason]++;
    return decision;
  }

  /** Fetches what {@link decide} found missing from the cache; resolves by the deadline, never rejects. */
  lookUp(rollout: CompiledRollout, facts: RequestFacts): Promise<void> {
    const bindings = this.options.bindings;
    if (bindings === undefined || isForced(rollout)) return Promise.resolve();
    const keys: LookupKeys = {
      rollout: rollout.name,
      sessionId: undefined,
      sessionTtlMs: rollout.session?.ttlMs ?? 0,
      userKey: undefined,
      allowSet: rollout.userSets.allow,
      denySet: rollout.userSets.deny,
    };
    const session = rollout.session;
    if (session !== undefined) {
      const id = bindings.usableId(facts.cookie(session.cookie));
      if (id !== undefined && bindings.cachedBinding(rollout.name, id) === undefined) keys.sessionId = id;
    }
    if (keys.allowSet !== undefined || keys.denySet !== undefined) {
      const userKey = bindings.usableId(rollout.stickyKeyOf(facts));
      if (userKey !== undefined && bindings.cachedListing(rollout.name, userKey) === undefined) keys.userKey = userKey;
    }
    if (keys.sessionId === undefined && keys.userKey === undefined) return Promise.resolve();
    return bindings.lookUp(keys);
  }

  private now(): number {
    return this.options.now === undefined ? Date.now() : this.options.now();
  }
}

function isForced(rollout: CompiledRollout): boolean {
  return rollout.state === 'rolled_back' || rollout.state === 'aborted' || rollout.state === 'promoted';
}

/** A fresh context for one explained decision. */
export function newDecisionContext(): DecisionContext {
  return { sessionId: undefined, binding: undefined, listedUser: undefined, overrideValid: false };
}
