import type { ForwardingConfig } from './forwarding-config.js';
import type { Forwarder } from './forwarder.js';
import { NodeHttpForwarder, type NodeForwarderSettings } from './http-forwarder.js';
import { UndiciForwarder } from './undici-forwarder.js';

/** The engine `config.engine` names, with the shared settings. */
export function createForwarder(config: ForwardingConfig, settings: NodeForwarderSettings): Forwarder {
  return config.engine === 'undici' ? new UndiciForwarder(settings, config.keepAlive) : new NodeHttpForwarder(settings);
}
