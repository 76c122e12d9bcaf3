// Types of scripts/build.mjs (plain JavaScript, so that `npm run build` needs no TypeScript loader).
import type { BuildOptions } from 'esbuild';

export declare const bundleOptions: BuildOptions;
export declare function buildServer(outdir?: string): Promise<void>;
