import net from 'node:net';

/**
 * TRUSTED_PROXIES: the reverse proxies whose `X-Forwarded-*` and client-certificate headers are
 * believed. Addresses and CIDR ranges, IPv4 or IPv6 (an IPv4-mapped IPv6 form counts as IPv4);
 * anything else stops the start with a message naming it.
 */
export function parseTrustedProxies(value: string | undefined): string[] {
  const entries = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    if (!readEntry(entry)) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or a CIDR range (e.g. 10.0.0.5, 10.0.0.0/24, fd00::/8)`);
  }
  return entries;
}

interface Entry {
  address: string;
  family: 'ipv4' | 'ipv6';
  prefix?: number;
}

function readEntry(entry: string): Entry | undefined {
  const [raw, prefixText, extra] = entry.split('/');
  if (extra !== undefined || !raw) return undefined;
  const address = plainAddress(raw);
  const version = net.isIP(address);
  if (!version) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, family };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  // An IPv4-mapped range (::ffff:10.0.0.0/120) is the IPv4 range it maps.
  const prefix = Number(prefixText) - (version === 4 && raw.includes(':') ? 96 : 0);
  if (prefix < 0 || prefix > (version === 4 ? 32 : 128)) return undefined;
  return { address, family, prefix };
}

/** An address as the socket reports it, IPv4-mapped IPv6 (`::ffff:10.0.0.1`) written as IPv4. */
export function plainAddress(address: string): string {
  return address.trim().toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

const lists = new WeakMap<readonly string[], net.BlockList>();

function blockListOf(trustedProxies: readonly string[]): net.BlockList {
  let list = lists.get(trustedProxies);
  if (!list) {
    list = new net.BlockList();
    for (const entry of trustedProxies) {
      const read = readEntry(entry);
      if (!read) continue; // refused at start; a list changed later (tests) keeps only what is valid
      if (read.prefix === undefined) list.addAddress(read.address, read.family);
      else list.addSubnet(read.address, read.prefix, read.family);
    }
    lists.set(trustedProxies, list);
  }
  return list;
}

/** Whether an address (a socket's peer, an X-Forwarded-For hop) is one of the trusted proxies. */
export function isTrustedProxyAddress(address: string | undefined, trustedProxies: readonly string[]): boolean {
  if (!address || trustedProxies.length === 0) return false;
  const plain = plainAddress(address);
  const version = net.isIP(plain);
  if (!version) return false;
  return blockListOf(trustedProxies).check(plain, version === 4 ? 'ipv4' : 'ipv6');
}
