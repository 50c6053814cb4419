/**
 * The {@code vmbus} commands (picocli): {@code run}, {@code host}, {@code ls}, {@code bind}/{@code unbind},
 * {@code doctor}, {@code bench}, with {@code CliDocs} generating the man page and bash completion from them. Commands
 * parse their options, ask the agent, the uio administration or the bench harness, and print.
 * <p>Owns no behaviour of its own that a test could not reach through the layers below.
 */
package dev.vmbus.cli;
