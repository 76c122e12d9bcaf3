/**
 * Which addresses DNS data may make the gateway contact (src/detection/address-policy.ts): name servers for
 * verification, Domain Connect hosts for discovery. Everything here is attacker-chosen input.
 */
import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../src/detection/address-policy.js';

describe('isPublicAddress', () => {
  it('allows public unicast addresses of both families', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '64:ff9b::808:808', '64:ff9b::8.8.8.8', '2002:808:808::1']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it('refuses private, loopback, link-local, shared, documentation and reserved IPv4', () => {
    for (const address of ['10.0.0.1', '127.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '192.0.2.1', '224.0.0.1', '255.255.255.255']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('refuses IPv6 loopback, unspecified, ULA, link-local, multicast and IPv4-mapped private addresses', () => {
    for (const address of ['::1', '::', 'fd00::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '2001:db8::1']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('refuses IPv6 forms that carry a private IPv4 address to a translating gateway (NAT64, 6to4), and the deprecated or tunnelled forms', () => {
    for (const address of [
      '64:ff9b::a00:1', // NAT64 of 10.0.0.1
      '64:ff9b::10.0.0.1',
      '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
      '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254 (cloud metadata)
      '2002:a00:1::1', // 6to4 of 10.0.0.1
      '2002:c0a8:101::', // 6to4 of 192.168.1.1
      '::10.0.0.1', // IPv4-compatible (deprecated)
      '::8.8.8.8',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('refuses what is no address', () => {
    for (const text of ['', 'localhost', 'example.com', '10.0.0', '::g', '1.2.3.4.5']) expect(isPublicAddress(text), text).toBe(false);
  });
});
