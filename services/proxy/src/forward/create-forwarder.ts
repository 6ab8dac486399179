import type { ForwardingConfig } from './forwarding-config.js';
import type { Forwarder } from './forwarder.js';
import type { ForwarderSettings } from './forwarder-settings.js';
import { NodeHttpForwarder } from './http-forwarder.js';
import { NativeForwarder } from './native-forwarder.js';
import { UndiciForwarder } from './undici-forwarder.js';

/** The engine `config.engine` names, with the shared settings. */
export function createForwarder(config: ForwardingConfig, settings: ForwarderSettings): Forwarder {
  if (config.engine === 'undici') return new UndiciForwarder(settings, config.keepAlive);
  if (config.engine === 'node') return new NodeHttpForwarder(settings);
  return new NativeForwarder(settings, config.keepAlive);
}
