/**
 * A realistic customer zone, the same for every provider fake: what a small company that already sends and
 * receives mail has published. Every test that writes compares this whole zone before and after.
 *
 * Names are full names without trailing dot; TXT values are the joined, unquoted value. Each fake converts them to
 * its provider's wire form (relative names for GoDaddy and Namecheap, quoted chunks for Cloudflare where asked).
 */
import type { DesiredRecord } from '../../providers/types.js';

/** A 2048-bit RSA DKIM public key record (~410 bytes): longer than one 255-byte TXT string. */
export const LONG_DKIM_TXT =
  'v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwz7Q9r0Kx3Pq1mYtR6iJ2nVb8sLd4fHgW0eZk5aUo7cXyN' +
  'pT3jQ1vBw9mF6rE2sD8gH4kL0zX7cV5bN1mQ9wE3rT6yU8iO2pA4sD6fG8hJ0kL2zX4cV6bN8mQ1wE3rT5yU7iO9pA1sD3fG5hJ7kL9zX1c' +
  'V3bN5mQ7wE9rT2yU4iO6pA8sD0fG2hJ4kL6zX8cV0bN2mQ4wE6rT8yU1iO3pA5sD7fG9hJ1kL3zX5cV7bN9mQ2wE4rT7yU9iO1pA3sD5fG7h' +
  'J9kL1zX3cV9bN4mQ6wE8rT0yU2iO4pA6sD8fG0hJ2kL4zX6cV8bN0mQ3wE5rT1yU3iO5pA7sD9fG1hJ3kL5zX7cQIDAQAB';

export const SEED_APEX = 'example.com';

const r = (type: string, name: string, content: string, ttl = 3600, priority?: number): DesiredRecord =>
  priority === undefined ? { type, name, content, ttl } : { type, name, content, ttl, priority };

const at = (label: string) => (label === '@' ? SEED_APEX : `${label}.${SEED_APEX}`);

/** Records every provider can hold. */
export function seedRecords(options: { srv?: boolean; caa?: boolean } = {}): DesiredRecord[] {
  const { srv = true, caa = true } = options;
  const records: DesiredRecord[] = [
    r('A', at('@'), '203.0.113.10'),
    r('A', at('@'), '203.0.113.11'),
    r('AAAA', at('@'), '2001:db8::10'),
    r('MX', at('@'), 'mx1.mailhost.example.net', 3600, 10),
    r('MX', at('@'), 'mx2.mailhost.example.net', 3600, 20),
    r('MX', at('@'), 'backup-mx.example.org', 7200, 30),
    r('TXT', at('@'), 'v=spf1 include:_spf.mailhost.example.net ip4:203.0.113.0/24 -all'),
    r('TXT', at('@'), 'google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ'),
    r('TXT', at('@'), 'MS=ms51923412'),
    r('TXT', at('_dmarc'), 'v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com; adkim=s; aspf=s', 1800),
    r('TXT', at('google._domainkey'), LONG_DKIM_TXT),
    r('TXT', at('s1._domainkey'), 'v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1TaNgLlSyQMNWVLNLvyY/neDgaL2oqQE8T5illKqCgDtFHc8eHVAU+nlcaGmrKmDMw9dbgiGk1ocgZ56NR4ycfUHwQhvQPMUZw0cveel/8EAGoi/UyPmqfcPibytH81NFtTMAxUeM4Op8A6iHkvAMj5qLf4YRNsTkKAV+tnVj4wIDAQAB'),
    r('A', at('www'), '203.0.113.10', 300),
    r('A', at('*'), '203.0.113.12', 600),
    r('CNAME', at('blog'), 'hosting.example.org', 3600),
    r('CNAME', at('shop'), 'shops.example-commerce.net'),
    r('CNAME', at('status'), 'example.statuspage.example.net', 300),
    r('CNAME', at('autodiscover'), 'autodiscover.outlook.com'),
    r('A', at('mail'), '203.0.113.20'),
    r('MX', at('mail'), 'mail.example.com', 3600, 10),
    r('TXT', at('mail'), 'v=spf1 a -all'),
    r('A', at('vpn'), '198.51.100.7', 120),
    r('AAAA', at('vpn'), '2001:db8::7', 120),
    r('A', at('a.b'), '198.51.100.8'),
    r('TXT', at('_acme-challenge'), 'bW9jay1hY21lLWNoYWxsZW5nZS10b2tlbi12YWx1ZQ', 600),
    r('TXT', at('_github-challenge-example-org'), '3c1f9e3a5b', 3600),
    r('NS', at('lab'), 'ns1.lab-hosting.example.net', 86400),
    r('NS', at('lab'), 'ns2.lab-hosting.example.net', 86400),
  ];
  if (caa) {
    records.push(r('CAA', at('@'), '0 issue "letsencrypt.org"'), r('CAA', at('@'), '0 iodef "mailto:security@example.com"'));
  }
  if (srv) {
    records.push(
      r('SRV', at('_sip._tcp'), '10 5060 sip.example.com', 3600, 10),
      r('SRV', at('_imaps._tcp'), '5 993 mail.example.com', 3600, 0),
    );
  }
  // Ordinary hosts with varied TTLs, so the zone is past one page at small page sizes.
  for (let i = 1; i <= 26; i++) {
    const label = `host${String(i).padStart(2, '0')}`;
    records.push(r('A', at(label), `192.0.2.${i}`, [300, 600, 1800, 3600, 14400][i % 5]));
  }
  return records;
}
