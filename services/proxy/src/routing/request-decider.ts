import {
  cookieValueStart,
  lastCookieValueEnd,
  type CompiledRollout,
  type Decision,
  type DecisionReason,
  type FoundFacts,
  type ListedUser,
  type PoolHealth,
  type RequestFacts,
  type Side,
} from '@graylane/routing';
import { NONE, UNANSWERED, type BindingStore, type LookupAnswer, type LookupKeys } from '../session/binding-store.js';
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

/**
 * A request the local cache could not decide: the Redis lookups it needs ({@link keys}) and what
 * was already found. The caller awaits {@link RequestDecider.lookUp} and passes its answer to
 * {@link RequestDecider.decidePending}; nothing goes back into the request's facts.
 */
export class PendingDecision {
  constructor(
    readonly rollout: CompiledRollout,
    readonly facts: RequestFacts,
    readonly keys: LookupKeys,
    /** the verified override side, if any */
    readonly override: Side | undefined,
    /** the usable session id, when the rollout binds sessions and the request names one */
    readonly sessionId: string | undefined,
    /** the cached binding when the cache had it ({@link NONE}: unbound); else asked of Redis */
    readonly binding: string | undefined,
    /** the cached user-set membership when the cache had it; else asked of Redis */
    readonly listing: string | undefined,
  ) {}
}

/** What an explained decision found out besides the decision, for the explain endpoint. */
export interface Explanation {
  decision: Decision;
  sessionId: string | undefined;
  /** the binding the decision saw ('' = Redis has none), or undefined when unknown (not looked up in time) */
  binding: string | undefined;
  listedUser: ListedUser | undefined;
  override: 'absent' | 'valid' | 'invalid';
}

/**
 * The shell around the pure `decide()` of a rollout. Data goes one way: the request's facts in,
 * the lookups the local cache cannot answer out, then one decision.
 *
 * - {@link decide} (synchronous) answers from the local cache: a Decision, or, on a miss, a
 *   {@link PendingDecision} naming the Redis lookups;
 * - {@link lookUp} asks Redis (resolves by the deadline with its answer, never rejects);
 * - {@link decidePending} then decides from that answer, or from what the cache knows now; what
 *   neither knows (Redis missed its deadline, or an upgrade that does not wait) counts as unknown.
 *
 * A decision for traffic is counted and writes a new session binding afterwards. {@link explain}
 * is the explain endpoint's own path: it always looks up, and writes and counts nothing.
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

  /**
   * What the one synchronous `rollout.decide` call of {@link finish} reads, refilled before each
   * call: the routing core keeps no reference to it, so one object serves every request and the
   * hot path allocates nothing for it.
   */
  private readonly found: { sessionBinding: string | undefined; override: Side | undefined; listedUser: ListedUser | undefined } = {
    sessionBinding: undefined,
    override: undefined,
    listedUser: undefined,
  };

  constructor(private readonly options: RequestDeciderOptions = {}) {}

  /** The decision from the local cache, or the lookups it needs first. */
  decide(rollout: CompiledRollout, facts: RequestFacts): Decision | PendingDecision {
    const bindings = this.options.bindings;
    const override = this.verifiedOverride(rollout, facts);
    // A forced state (rolled back, aborted, promoted) overrides bindings and lists: don't ask Redis for them.
    if (bindings === undefined || isForced(rollout)) return this.finish(rollout, facts, override, undefined, undefined, undefined, 0, 0, true);
    // The session id is `idText.slice(idStart, idEnd)`: read in place from the Cookie header when
    // the facts have it, so a cache hit (the common case) never makes a string of it.
    let idText: string | undefined;
    let idStart = 0;
    let idEnd = 0;
    let binding: string | undefined;
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
      if (idText !== undefined) binding = bindings.cachedBindingIn(rollout.name, idText, idStart, idEnd);
    }
    let userKey: string | undefined;
    let listing: string | undefined;
    if (rollout.userSets.allow !== undefined || rollout.userSets.deny !== undefined) {
      userKey = bindings.usableId(rollout.stickyKeyOf(facts));
      if (userKey !== undefined) listing = bindings.cachedListing(rollout.name, userKey);
    }
    const sessionMissing = idText !== undefined && binding === undefined;
    const userMissing = userKey !== undefined && listing === undefined;
    if (sessionMissing || userMissing) {
      const sessionId = idText?.slice(idStart, idEnd);
      const keys: LookupKeys = {
        rollout: rollout.name,
        sessionId: sessionMissing ? sessionId : undefined,
        sessionTtlMs: session?.ttlMs ?? 0,
        userKey: userMissing ? userKey : undefined,
        allowSet: rollout.userSets.allow,
        denySet: rollout.userSets.deny,
      };
      return new PendingDecision(rollout, facts, keys, override, sessionId, binding, listing);
    }
    return this.finish(rollout, facts, override, binding, listing, idText, idStart, idEnd, true);
  }

  /** Asks Redis what `pending` misses (cached for later requests); resolves by the deadline with the answer, never rejects. */
  lookUp(pending: PendingDecision): Promise<LookupAnswer> {
    const bindings = this.options.bindings;
    return bindings === undefined ? Promise.resolve(UNANSWERED) : bindings.lookUp(pending.keys);
  }

  /**
   * The decision of a pending request from Redis's `answer` to its own lookup, else from what the
   * cache knows now; what neither knows counts as unknown.
   */
  decidePending(pending: PendingDecision, answer: LookupAnswer = UNANSWERED): Decision {
    const { rollout, keys, sessionId } = pending;
    const bindings = this.options.bindings;
    let binding = pending.binding;
    let listing = pending.listing;
    if (bindings !== undefined) {
      if (keys.sessionId !== undefined) binding = answer.binding ?? bindings.cachedBinding(rollout.name, keys.sessionId);
      if (keys.userKey !== undefined) listing = answer.listing ?? bindings.cachedListing(rollout.name, keys.userKey);
    }
    return this.finish(rollout, pending.facts, pending.override, binding, listing, sessionId, 0, sessionId?.length ?? 0, binding !== undefined);
  }

  /**
   * What a request with these facts would get now, and why, for the explain endpoint: the cache
   * and Redis are asked for whatever the decision uses, and nothing is written or counted.
   */
  async explain(rollout: CompiledRollout, facts: RequestFacts): Promise<Explanation> {
    const bindings = this.options.bindings;
    const override = this.verifiedOverride(rollout, facts);
    let sessionId: string | undefined;
    let binding: string | undefined;
    let listing: string | undefined;
    if (bindings !== undefined && !isForced(rollout)) {
      const session = rollout.session;
      sessionId = session === undefined ? undefined : bindings.usableId(facts.cookie(session.cookie));
      const userKey = rollout.userSets.allow !== undefined || rollout.userSets.deny !== undefined ? bindings.usableId(rollout.stickyKeyOf(facts)) : undefined;
      const keys: LookupKeys = {
        rollout: rollout.name,
        sessionId: sessionId !== undefined && bindings.cachedBinding(rollout.name, sessionId) === undefined ? sessionId : undefined,
        sessionTtlMs: session?.ttlMs ?? 0,
        userKey: userKey !== undefined && bindings.cachedListing(rollout.name, userKey) === undefined ? userKey : undefined,
        allowSet: rollout.userSets.allow,
        denySet: rollout.userSets.deny,
      };
      const answer = keys.sessionId !== undefined || keys.userKey !== undefined ? await bindings.lookUp(keys) : UNANSWERED;
      if (sessionId !== undefined) binding = answer.binding ?? bindings.cachedBinding(rollout.name, sessionId);
      if (userKey !== undefined) listing = answer.listing ?? bindings.cachedListing(rollout.name, userKey);
    }
    const listedUser = listedUserOf(listing);
    const found: FoundFacts = { sessionBinding: binding === NONE ? undefined : binding, override, listedUser };
    return {
      decision: rollout.decide(facts, this.options.health, found),
      sessionId,
      binding,
      listedUser,
      override: facts.header(OVERRIDE_HEADER) === undefined ? 'absent' : override !== undefined ? 'valid' : 'invalid',
    };
  }

  /**
   * The one decision of a request for traffic: counted, and followed by a binding write when the
   * side came from the weight. `binding` known ({@link NONE} or a value): a new binding replaces
   * an unbound one or one of a retired version; unknown because Redis missed its deadline: it is
   * written only if still unbound, so a slow Redis cannot move a session.
   */
  private finish(
    rollout: CompiledRollout,
    facts: RequestFacts,
    override: Side | undefined,
    binding: string | undefined,
    listing: string | undefined,
    idText: string | undefined,
    idStart: number,
    idEnd: number,
    bindingKnown: boolean,
  ): Decision {
    const found = this.found;
    found.override = override;
    found.sessionBinding = binding === NONE ? undefined : binding;
    found.listedUser = listedUserOf(listing);
    const decision = rollout.decide(facts, this.options.health, found);
    const bindings = this.options.bindings;
    if (bindings !== undefined && idText !== undefined && decision.bindable && rollout.session !== undefined) {
      bindings.bind(rollout.name, idText.slice(idStart, idEnd), rollout.bindingValue(decision.side), rollout.session.ttlMs, bindingKnown);
    }
    this.reasons[decision.reason]++;
    return decision;
  }

  /** The side a correctly signed override header names for this rollout; undefined without a secret or a valid header. */
  private verifiedOverride(rollout: CompiledRollout, facts: RequestFacts): Side | undefined {
    const secret = this.options.overrideSecret;
    if (secret === undefined) return undefined;
    const value = facts.header(OVERRIDE_HEADER);
    return value === undefined ? undefined : verifyOverride(secret, rollout.name, value, this.now());
  }

  private now(): number {
    return this.options.now === undefined ? Date.now() : this.options.now();
  }
}

function isForced(rollout: CompiledRollout): boolean {
  return rollout.state === 'rolled_back' || rollout.state === 'aborted' || rollout.state === 'promoted';
}

function listedUserOf(listing: string | undefined): ListedUser | undefined {
  return listing === 'allow' || listing === 'deny' ? listing : undefined;
}
