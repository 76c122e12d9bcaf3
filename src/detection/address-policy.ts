/**
 * Which addresses the gateway may contact when DNS data chooses them (a zone's NS records name the servers that
 * verification asks). DNS data is attacker-controlled: a customer could point their NS at 10.0.0.5 or 127.0.0.1 and
 * make the gateway send packets into the operator's own network. Only public unicast addresses are allowed, unless
 * the operator allows private ones (tests run every server on loopback).
 */
import { BlockList, isIP } from 'node:net';

const NOT_PUBLIC = new BlockList();
// RFC 6890 special-purpose ranges: this network, private, shared (CGN), loopback, link-local, benchmarking,
// documentation, multicast, reserved, broadcast; and their IPv6 counterparts (unspecified, loopback, IPv4-mapped,
// discard, documentation, ULA, link-local, multicast).
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7],
  ['fe80::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** True for a public unicast IPv4 or IPv6 address; false for anything else, including text that is no address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
