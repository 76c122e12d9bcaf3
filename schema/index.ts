/** Imports every schema file for its side effect of registering types, then builds the schema. */
import { builder } from './builder.js';
import './dns-error.js';
import './dns-provider.js';
import './authorize-dns.js';
import './set-dns-records.js';
import './dns-changes.js';
import './dns-status.js';
import './dns-watch.js';
import './domain-connect.js';

export const schema = builder.toSchema();
