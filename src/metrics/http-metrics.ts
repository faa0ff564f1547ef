import { Counter, type Registry } from 'prom-client';
import { METRICS } from './definitions.js';

/**
 * The HTTP server's own series, registered here with the rest so that the metrics are defined in
 * one place; startServer() finds them by name in the registry it is given (droppedConnections()).
 */
export function registerHttpMetrics(registry: Registry): void {
  new Counter({
    name: METRICS.httpConnectionsDropped,
    help: 'HTTP connections closed as they were accepted, because server.maxConnections were open.',
    registers: [registry],
  });
}

/** The counter of dropped connections in `registry`, where StowageMetrics registered it. */
export function droppedConnections(registry: Registry | undefined): Counter | undefined {
  return registry?.getSingleMetric(METRICS.httpConnectionsDropped) as Counter | undefined;
}
