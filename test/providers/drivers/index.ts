/** Every adapter the conformance suite runs. A provider is supported when its driver here passes the whole suite. */
import type { ConformanceDriver } from '../driver.js';
import { azureDriver } from './azure.js';
import { cloudflareDriver } from './cloudflare.js';
import { godaddyDriver } from './godaddy.js';
import { googlecloudDriver } from './googlecloud.js';
import { namecheapDriver } from './namecheap.js';
import { ovhDriver } from './ovh.js';
import { sandboxDriver } from './sandbox.js';

export const DRIVERS: readonly ConformanceDriver[] = [
  cloudflareDriver(),
  godaddyDriver(),
  namecheapDriver(),
  sandboxDriver(),
  googlecloudDriver(),
  azureDriver(),
  ovhDriver(),
];
