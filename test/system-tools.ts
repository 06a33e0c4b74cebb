import { existsSync } from 'node:fs';

/**
 * Debian tools some tests drive (npm test installs them when run as root). Without one, those
 * tests skip and say why; nothing else in the suite may skip (README, "Tests").
 */
export function missingTool(file: string, debianPackage: string): string | undefined {
  if (existsSync(file)) return undefined;
  const reason = `${file} is missing: install Debian's ${debianPackage} (npm test does it when run as root)`;
  console.warn(`[skip] ${reason}`);
  return reason;
}

export const NO_CHROMIUM = missingTool('/usr/bin/chromium', 'chromium');
