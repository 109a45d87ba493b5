import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { addressForms, LINK_LOCAL, METADATA_ADDRESSES, METADATA_HOSTS, normalHost } from './addresses.ts';

// The one policy for every request the relay makes: deliveries, the workflow http.request step and
// fetch, AI upstreams and enrichment (docs/security.md#destination-policy). Cloud metadata services are
// refused always: a webhook URL pointed at one would hand instance credentials to whoever can read the
// delivery log; link-local addresses (where they live) unless the allow list names them. Everything else
// is decided by `delivery.destinations` in config: a deny list, and an allow list that, when non-empty,
// is the only way out. Entries are CIDRs, IPs, host names (`*.example.com` for sub-domains) or the named
// ranges below. check() looks at the URL and its resolved addresses before a request; refusal() is asked
// again for the address each connection actually goes to (guarded-dispatcher.ts), so a DNS answer that
// changes in between, or a redirect, cannot get around it.

const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
  'link-local': LINK_LOCAL,
  unspecified: ['0.0.0.0/8', '::/128'],
};

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

export class DestinationRefusedError extends Error {
  readonly url: string;
  readonly code = 'destination_refused';
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
  /** Why connecting to `address` (which `host` resolved to) is refused, or null when it is allowed. */
  refusal(host: string, address: string): string | null;
  /** The resolver check() uses; connections resolve through it too. */
  readonly resolve: Resolver;
}

/**
 * Decisions are cached per host for a few seconds: a busy endpoint would otherwise resolve its host
 * on every attempt. The connection is checked again at connect time, so the cache widens nothing.
 */
const CACHE_MS = 5000;
const CACHE_ENTRIES = 1000;

export function createDestinationPolicy(
  options: { allow?: string[]; deny?: string[] },
  resolve: Resolver = systemResolver,
): DestinationPolicy {
  const rules = {
    metadata: compile([...METADATA_HOSTS, ...METADATA_ADDRESSES]),
    linkLocal: compile(LINK_LOCAL),
    deny: compile(options.deny ?? []),
    allow: compile(options.allow ?? []),
  };
  const refusal = (host: string, address: string) => addressRefusal(rules, normalHost(host), address);
  const cache = new Map<string, { until: number; refusal: string | null }>();
  // A URL's cache key, so that the URLs an endpoint is sent to again and again are parsed once.
  const keys = new Map<string, string>();
  return {
    resolve,
    refusal,
    async check(url) {
      let key = keys.get(url);
      const hit = key === undefined ? undefined : cache.get(key);
      const now = performance.now();
      if (hit && hit.until > now) {
        if (hit.refusal) throw new DestinationRefusedError(url, hit.refusal);
        return;
      }
      const parsed = parseUrl(url);
      key = `${parsed.protocol}//${parsed.host}`;
      if (keys.size >= CACHE_ENTRIES) keys.clear();
      keys.set(url, key);
      const found = await decide(rules, refusal, resolve, parsed).catch((error: unknown) => {
        if (error instanceof DestinationRefusedError) return error.message.replace(/^Destination refused: /, '');
        throw error;
      });
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(key, { until: now + CACHE_MS, refusal: found ?? null });
      if (found) throw new DestinationRefusedError(url, found);
    },
  };
}

type Decide = (host: string, address: string) => string | null;

async function decide(rules: { metadata: Rules; deny: Rules }, refusal: Decide, resolve: Resolver, parsed: URL) {
  const host = normalHost(parsed.hostname);
  if (hostMatches(rules.metadata, host)) return `${host} is a cloud metadata service.`;
  if (hostMatches(rules.deny, host)) return `${host} is on delivery.destinations.deny.`;
  const addresses = isIP(host) ? [host] : await resolveAll(resolve, parsed.href, host);
  for (const address of addresses) {
    const refused = refusal(host, address);
    if (refused) return refused;
  }
  return undefined;
}

function addressRefusal(
  { metadata, linkLocal, deny, allow }: { metadata: Rules; linkLocal: Rules; deny: Rules; allow: Rules },
  host: string,
  address: string,
): string | null {
  const forms = addressForms(address);
  const shown = forms.length > 1 ? `${forms[0]} (${forms[1]})` : forms[0];
  const subject = host === forms[0] ? `${shown} is` : `${host} resolves to ${shown}, which is`;
  const any = (rules: Rules) => forms.some((form) => addressMatches(rules, form));
  if (any(metadata)) return `${subject} a cloud metadata address.`;
  if (any(deny)) return `${subject} on delivery.destinations.deny.`;
  const allowed = !allow.empty && (hostMatches(allow, host) || any(allow));
  if (any(linkLocal) && !allowed)
    return `${subject} link-local, where metadata services live; only delivery.destinations.allow opens it.`;
  if (!allow.empty && !allowed) return `${host} (${shown}) is not on delivery.destinations.allow.`;
  return null;
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
    throw new DestinationRefusedError(url, 'only http and https URLs can receive requests.');
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

function compile(entries: readonly string[]): Rules {
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
      hosts.push(normalHost(entry));
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

/** The policy configured in hookrelay.yaml's `delivery.destinations`: `destinationPolicyFromConfig(ctx.config.sections.delivery)`. */
export function destinationPolicyFromConfig(section: unknown, resolve: Resolver = systemResolver): DestinationPolicy {
  const destinations = (section as { destinations?: { allow?: string[]; deny?: string[] } } | undefined)?.destinations;
  return createDestinationPolicy({ allow: destinations?.allow ?? [], deny: destinations?.deny ?? [] }, resolve);
}
