// What the routing bench (bench/src/routing.ts) measures of the proxy: its own request path, so
// that the bench times the code that serves traffic, not a copy. `NodeRequestFacts` over the
// request, `RequestDecider`, and `BindingStore` with its bounded local cache (`BoundedCache`).
// Imported as `@graylane/proxy/routing`.
export { PendingDecision, RequestDecider } from './routing/request-decider.js';
export { NodeRequestFacts } from './routing/request-facts.js';
export { BindingStore } from './session/binding-store.js';
export { BoundedCache } from './session/bounded-cache.js';
