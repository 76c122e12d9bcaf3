/** Every adapter the conformance suite runs. A provider is supported when its driver here passes the whole suite. */
import type { ConformanceDriver } from '../driver.js';
import { azureDriver } from './azure.js';
import { cloudflareDriver } from './cloudflare.js';
import { gandiDriver } from './gandi.js';
import { digitaloceanDriver } from './digitalocean.js';
import { dnsimpleDriver } from './dnsimple.js';
import { godaddyDriver } from './godaddy.js';
import { googlecloudDriver } from './googlecloud.js';
import { hostingerDriver } from './hostinger.js';
import { ionosDriver } from './ionos.js';
import { hetznerDriver } from './hetzner.js';
import { linodeDriver } from './linode.js';
import { namecheapDriver } from './namecheap.js';
import { ovhDriver } from './ovh.js';
import { namecomDriver } from './namecom.js';
import { route53Driver } from './route53.js';
import { porkbunDriver } from './porkbun.js';
import { sandboxDriver } from './sandbox.js';
import { vultrDriver } from './vultr.js';

export const DRIVERS: readonly ConformanceDriver[] = [
  cloudflareDriver(),
  godaddyDriver(),
  namecheapDriver(),
  sandboxDriver(),
  googlecloudDriver(),
  azureDriver(),
  route53Driver(),
  ionosDriver(),
  gandiDriver(),
  digitaloceanDriver(),
  vultrDriver(),
  hetznerDriver(),
  linodeDriver(),
  porkbunDriver(),
  dnsimpleDriver(),
  ovhDriver(),
  namecomDriver(),
  hostingerDriver(),
];
