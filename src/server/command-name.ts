// How the person starting the server runs the command: `mta-sts` when the one on PATH is this
// installation (npm install -g), else `npx mta-sts` (a clone, or a host app's dependency, where the
// command is not on PATH), so that the lines the banner prints work as pasted.
import { realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function commandName(cli: string = process.argv[1] ?? '', path: string = process.env.PATH ?? ''): string {
  const self = real(cli);
  if (self === null) return 'npx mta-sts';
  for (const dir of path.split(delimiter)) {
    if (dir !== '' && real(join(dir, 'mta-sts')) === self) return 'mta-sts';
  }
  return 'npx mta-sts';
}

function real(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}
