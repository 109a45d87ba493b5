import { isIP } from 'node:net';

// What an address really is, whatever its spelling. An IPv6 address can carry an IPv4 one (mapped,
// compatible, SIIT, NAT64, 6to4): a refusal of 169.254.169.254 must also refuse [::ffff:a9fe:a9fe],
// [::169.254.169.254] and [64:ff9b::a9fe:a9fe], which a NAT64 gateway or a dual-stack socket would turn
// into the same IPv4 destination (issue 14).

/**
 * Cloud metadata services and their neighbours that hand out credentials or instance identity: AWS
 * (instance metadata, DNS, time sync, ECS and EKS credentials, IPv6), GCP, Azure (IMDS and the
 * WireServer), Alibaba, Oracle. Refused always, whatever the allow list says.
 */
export const METADATA_ADDRESSES: readonly string[] = [
  '169.254.169.254',
  '169.254.169.253',
  '169.254.169.123',
  '169.254.170.2',
  '169.254.170.23',
  '168.63.129.16',
  '100.100.100.200',
  '192.0.0.192',
  'fd00:ec2::254',
  'fd00:ec2::23',
];

export const METADATA_HOSTS: readonly string[] = [
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.com',
  'metadata.tencentyun.com',
];

/** Link-local ranges, where metadata services live: refused unless an allow entry names them. */
export const LINK_LOCAL = ['169.254.0.0/16', 'fe80::/10'];

/** A host as the URL gives it, compared: lower case, no brackets, no trailing dot, no zone. */
export function normalHost(hostname: string): string {
  return hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .replace(/%.*$/, '')
    .toLowerCase();
}

/** The eight 16-bit groups of an IPv6 address (with or without an IPv4 tail), or null when not IPv6. */
export function ipv6Groups(text: string): number[] | null {
  const address = text.replace(/%.*$/, '').toLowerCase();
  if (isIP(address) !== 6) return null;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const hex = tail
    ? `${address.slice(0, tail.index)}${((+tail[1] << 8) | +tail[2]).toString(16)}:${((+tail[3] << 8) | +tail[4]).toString(16)}`
    : address;
  const [left, right] = hex.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const head = parse(left);
  if (right === undefined) return head;
  const rest = parse(right);
  return [...head, ...new Array(8 - head.length - rest.length).fill(0), ...rest];
}

const dotted = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 address an IPv6 one carries (mapped, compatible, SIIT, NAT64, 6to4), or null. */
export function embeddedIPv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return dotted(g[6], g[7]); // ::ffff:a.b.c.d, mapped
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return dotted(g[6], g[7]); // ::ffff:0:a.b.c.d, SIIT
  if (zeros(0, 6) && (g[6] !== 0 || g[7] > 1)) return dotted(g[6], g[7]); // ::a.b.c.d, compatible (not :: or ::1)
  if (g[0] === 0x64 && g[1] === 0xff9b && (zeros(2, 6) || g[2] === 1)) return dotted(g[6], g[7]); // NAT64
  if (g[0] === 0x2002) return dotted(g[1], g[2]); // 6to4
  return null;
}

/** The address itself and the IPv4 address it carries, each in the form BlockList and lists compare. */
export function addressForms(address: string): string[] {
  const plain = address.replace(/%.*$/, '').toLowerCase();
  const inner = embeddedIPv4(plain);
  return inner ? [plain, inner] : [plain];
}
