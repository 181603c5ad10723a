/**
 * The name of an AWS SDK command (`GetUserCommand`) as the bench stubs answer it, read from the
 * operation schema the SDK attaches to every command (`[kind, namespace, operation, ...]`). Not the
 * class name: the CPU bench runs the responders bundled and minified as deployed
 * (bench/deployed.ts), where class names are mangled.
 */
export const commandName = (command: { readonly schema?: unknown }): string => {
  const operation = Array.isArray(command.schema) ? (command.schema as unknown[])[2] : undefined;
  if (typeof operation !== 'string') throw new Error('bench stub: the command carries no operation schema (an AWS SDK v3 command was expected)');
  return `${operation}Command`;
};
