import type { LookupAddress, LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { normalHost } from './addresses.ts';
import { type DestinationPolicy, DestinationRefusedError } from './destination-policy.ts';

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * An undici dispatcher whose every connection asks the policy about the address it is about to
 * connect to: host names resolve through the policy's resolver inside the connection (so what was
 * checked is what is connected to), IP literals are checked as they are. Every redirect hop is a
 * connection of its own, so it is checked too.
 */
export function guardedDispatcher(policy: DestinationPolicy, options: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  const connectAllowed = buildConnector({ lookup: guardedLookup(policy) } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (target, callback) => {
    const host = normalHost(target.hostname);
    const refused = isIP(host) ? policy.refusal(host, host) : null;
    if (refused) return callback(new DestinationRefusedError(`${target.protocol}//${target.hostname}`, refused), null);
    connectAllowed(target, callback);
  };
  return new Agent({ ...options, connect });
}

/** net.connect's `lookup`, answered by the policy's resolver and refused for any address it refuses. */
function guardedLookup(policy: DestinationPolicy) {
  return (hostname: string, options: LookupOneOptions & { all?: boolean }, callback: LookupCallback) => {
    policy.resolve(hostname).then(
      (found) => {
        const host = normalHost(hostname);
        for (const address of found) {
          const refused = policy.refusal(host, address);
          if (refused) return callback(new DestinationRefusedError(`//${hostname}`, refused), []);
        }
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const addresses = found.filter((a) => family === 0 || isIP(a) === family).map((a) => ({ address: a, family: isIP(a) }));
        if (addresses.length === 0)
          return callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), []);
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: Error) => callback(error, []),
    );
  };
}

/** A fetch whose connections all go through a guarded dispatcher (redirects followed as fetch does). */
export function guardedFetch(dispatcher: Agent): typeof fetch {
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(
      input as Parameters<typeof undiciFetch>[0],
      { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1],
    )) as unknown as typeof fetch;
}
