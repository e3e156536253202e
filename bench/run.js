// Entry of `npm run bench` (after `npm run build`). The bench is TypeScript so that it can reuse
// the test harness (test/support: throwaway clusters, the unpacked Kamailio 5.6.3) as it is;
// tsx compiles it on the fly. What it measures (the CLI, the client) is the built dist/.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
