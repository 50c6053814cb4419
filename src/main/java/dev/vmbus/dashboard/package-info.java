/**
 * Vert.x Web over the agent: the static page, the REST API, the live stream, Prometheus
 * {@code /metrics} and the health the devices' states imply ({@code HealthRules}, {@code HealthMetrics}), all read from
 * the snapshots the bus publishes ({@code Views}); host control goes through the host package's interfaces and a token
 * ({@code AccessControl}).
 * <p>Knows nothing of ring internals or transports: it reads snapshots.
 */
package dev.vmbus.dashboard;
