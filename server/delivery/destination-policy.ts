import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

// Where the relay may send requests (deliveries, and the workflow http.request step). Cloud metadata
// services are refused always: a webhook URL pointed at one would hand instance credentials to
// whoever can read the delivery log. Everything else is decided by `delivery.destinations` in config:
// a deny list, and an allow list that, when non-empty, is the only way out. Entries are CIDRs, IPs,
// host names (`*.example.com` for sub-domains) or the named ranges below. The resolved addresses are
// checked, not only the host name, so a DNS name pointing at 10.0.0.5 is caught by `private`.

const METADATA_HOSTS = ['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'metadata.azure.com'];
const METADATA_ADDRESSES = ['169.254.169.254', '169.254.170.2', '169.254.169.253', '100.100.100.200', 'fd00:ec2::254'];

const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  unspecified: ['0.0.0.0/8', '::/128'],
};

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export class DestinationRefusedError extends Error {
  readonly url: string;
  constructor(url: string, reason: string) {
    super(`Destination refused: ${reason}`);
    this.name = 'DestinationRefusedError';
    this.url = url;
  }
}

interface Rules {
  addresses: BlockList;
  hosts: string[];
  empty: boolean;
}

export interface DestinationPolicy {
  /** Resolves the URL's host and throws DestinationRefusedError unless every address may be reached. */
  check(url: string): Promise<void>;
}

/**
 * Decisions are cached per host for a few seconds: a busy endpoint would otherwise resolve its host
 * on every attempt. The check is advisory against a DNS answer that changes between check and
 * connect (see docs/delivery.md); the cache does not widen that gap meaningfully.
 */
const CACHE_MS = 5000;
const CACHE_ENTRIES = 1000;

export function createDestinationPolicy(
  options: { allow?: string[]; deny?: string[] },
  resolve: Resolver = systemResolver,
): DestinationPolicy {
  const rules = {
    metadata: compile([...METADATA_HOSTS, ...METADATA_ADDRESSES]),
    deny: compile(options.deny ?? []),
    allow: compile(options.allow ?? []),
  };
  const cache = new Map<string, { until: number; refusal: string | null }>();
  return {
    async check(url) {
      const parsed = parseUrl(url);
      const key = `${parsed.protocol}//${parsed.host}`;
      const hit = cache.get(key);
      const now = performance.now();
      if (hit && hit.until > now) {
        if (hit.refusal) throw new DestinationRefusedError(url, hit.refusal);
        return;
      }
      let refusal: string | null = null;
      try {
        await decide(rules, resolve, url, parsed);
      } catch (error) {
        if (!(error instanceof DestinationRefusedError)) throw error;
        refusal = error.message.replace(/^Destination refused: /, '');
      }
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(key, { until: now + CACHE_MS, refusal });
      if (refusal) throw new DestinationRefusedError(url, refusal);
    },
  };
}

async function decide(
  { metadata, deny, allow }: { metadata: Rules; deny: Rules; allow: Rules },
  resolve: Resolver,
  url: string,
  parsed: URL,
): Promise<void> {
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (hostMatches(metadata, host)) throw new DestinationRefusedError(url, `${host} is a cloud metadata service.`);
  if (hostMatches(deny, host)) throw new DestinationRefusedError(url, `${host} is on delivery.destinations.deny.`);
  const addresses = isIP(host) ? [host] : await resolveAll(resolve, url, host);
  for (const raw of addresses) {
    const address = unmapped(raw);
    if (addressMatches(metadata, address)) {
      throw new DestinationRefusedError(url, `${host} resolves to ${address}, a cloud metadata address.`);
    }
    if (addressMatches(deny, address)) {
      throw new DestinationRefusedError(url, `${host} resolves to ${address}, which delivery.destinations.deny refuses.`);
    }
    if (!allow.empty && !hostMatches(allow, host) && !addressMatches(allow, address)) {
      throw new DestinationRefusedError(url, `${host} (${address}) is not on delivery.destinations.allow.`);
    }
  }
}

/** Validates a destination entry from config; returns a message when it is not usable. */
export function destinationEntryProblem(entry: string): string | null {
  try {
    compile([entry]);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DestinationRefusedError(url, 'not a valid URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DestinationRefusedError(url, 'only http and https URLs can receive deliveries.');
  }
  if (parsed.username || parsed.password) throw new DestinationRefusedError(url, 'credentials in the URL are not allowed.');
  return parsed;
}

async function resolveAll(resolve: Resolver, url: string, host: string): Promise<string[]> {
  try {
    const addresses = await resolve(host);
    if (addresses.length === 0) throw new Error('no addresses');
    return addresses;
  } catch (error) {
    throw new DestinationRefusedError(url, `${host} does not resolve (${(error as Error).message}).`);
  }
}

/** ::ffff:169.254.169.254 is 169.254.169.254: check the IPv4 form too. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1] : address.toLowerCase();
}

function compile(entries: string[]): Rules {
  const addresses = new BlockList();
  const hosts: string[] = [];
  for (const entry of entries.flatMap((e) => NAMED_RANGES[e.toLowerCase()] ?? [e])) {
    const [ip, prefix] = entry.split('/');
    const family = isIP(ip);
    if (family) {
      const type = family === 6 ? 'ipv6' : 'ipv4';
      const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
        throw new Error(`"${entry}" has an invalid prefix length.`);
      }
      addresses.addSubnet(ip, bits, type);
    } else if (prefix !== undefined || !/^(\*\.)?[a-z0-9.-]+$/i.test(entry)) {
      throw new Error(
        `"${entry}" is neither a CIDR, an IP address, a host name nor one of ${Object.keys(NAMED_RANGES).join(', ')}.`,
      );
    } else {
      hosts.push(entry.toLowerCase());
    }
  }
  return { addresses, hosts, empty: entries.length === 0 };
}

function hostMatches(rules: Rules, host: string): boolean {
  return rules.hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h));
}

function addressMatches(rules: Rules, address: string): boolean {
  const family = isIP(address);
  if (!family) return false;
  return rules.addresses.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The policy configured in hookrelay.yaml's `delivery.destinations`, for other outbound requests
 * (the workflow http.request step): `destinationPolicyFromConfig(ctx.config.sections.delivery)`.
 */
export function destinationPolicyFromConfig(section: unknown, resolve: Resolver = systemResolver): DestinationPolicy {
  const destinations = (section as { destinations?: { allow?: string[]; deny?: string[] } } | undefined)?.destinations;
  return createDestinationPolicy({ allow: destinations?.allow ?? [], deny: destinations?.deny ?? [] }, resolve);
}
