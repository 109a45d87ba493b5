// Loaded with --import into a relay child process: its file writes fail as on a full disk.
import { fillDisk } from './disk-full.ts';

await fillDisk();
