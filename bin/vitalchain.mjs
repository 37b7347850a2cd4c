#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on load so `npx vitalchain` works from a clean install.
import { register } from 'tsx/esm/api';
register();
await import('../cli/vitalchain.ts');
