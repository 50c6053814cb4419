/**
 * The configuration: one record per section of {@code vmbus.json} with its defaults and its validation,
 * loaded once with Jackson ({@code ConfigLoader}), unknown keys and bad values named in a {@code ConfigException};
 * {@code TransportType} is the one place the transports' names are spelled. These records are the options the layers
 * above take; they are never copied into options of their own.
 * <p>Uses no other layer of the project and knows nothing of Vert.x: device sections stay Jackson nodes, which the
 * device registry ({@code bus.DeviceRegistry.sections}) and the simulated host turn into Vert.x JSON
 * ({@code transport.SettingsBinder.json}).
 */
package dev.vmbus.config;
