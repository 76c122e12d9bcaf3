/**
 * Which addresses the gateway may contact when DNS data chooses them (a zone's NS records name the servers that
 * verification asks). DNS data is attacker-controlled: a customer could point their NS at 10.0.0.5 or 127.0.0.1 and
 * make the gateway send packets into the operator's own network. Only public unicast addresses are allowed, unless
 * the operator allows private ones (tests run every server on loopback).
 */
import { BlockList, isIP } from 'node:net';

const NOT_PUBLIC = new BlockList();
// Apart: node's BlockList matches an IPv4 address against IPv6 rules too (as ::a.b.c.d), so ::/96 would block them all.
const NOT_PUBLIC_V6 = new BlockList();
// RFC 6890 special-purpose ranges: this network, private, shared (CGN), loopback, link-local, benchmarking,
// documentation, multicast, reserved, broadcast; and their IPv6 counterparts (unspecified, loopback, IPv4-mapped,
// discard, documentation, ULA, link-local, multicast).
const NOT_PUBLIC_V4 = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const;
for (const [net, prefix] of NOT_PUBLIC_V4) NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
// IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291 §2.5.5.1), Teredo (2001::/32, its client address
// obfuscated inside) and benchmarking (2001:2::/48) are never a name server's or a DNS provider's address.
for (const [net, prefix] of [
  ['::', 96], ['::ffff:0:0', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:2::', 48], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');
// IPv6 prefixes that carry an IPv4 address a gateway on the way turns back into IPv4: NAT64's well-known prefix
// (64:ff9b::/96, RFC 6052: the last 32 bits) and 6to4 (2002::/16, RFC 3056: the 32 bits after it). 64:ff9b::a00:1 is
// 10.0.0.1 to a NAT64 gateway, so each IPv4 range above is refused inside them too.
for (const [net, prefix] of NOT_PUBLIC_V4) {
  const [a, b, c, d] = net.split('.').map(Number) as [number, number, number, number];
  const high = ((a << 8) | b).toString(16);
  const low = ((c << 8) | d).toString(16);
  NOT_PUBLIC_V6.addSubnet(`64:ff9b::${high}:${low}`, 96 + prefix, 'ipv6');
  NOT_PUBLIC_V6.addSubnet(`2002:${high}:${low}::`, 16 + prefix, 'ipv6');
}

/** True for a public unicast IPv4 or IPv6 address; false for anything else, including text that is no address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !NOT_PUBLIC.check(address, 'ipv4') : !NOT_PUBLIC_V6.check(address, 'ipv6');
}
