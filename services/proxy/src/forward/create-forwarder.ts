import type { ForwardingConfig } from './forwarding-config.js';
import type { Forwarder } from './forwarder.js';
import type { ForwarderSettings } from './forwarder-settings.js';
import { NativeForwarder } from './native-forwarder.js';

/** The engine `config.engine` names, with the shared settings. */
export function createForwarder(config: ForwardingConfig, settings: ForwarderSettings): Forwarder {
  return new NativeForwarder(settings, config.keepAlive);
}
