// A real n8n, started headless from the cached install, driven over its REST and public APIs.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../../test/helpers/wait.ts';

export interface N8nOptions {
  /** Folder holding node_modules/n8n (install-n8n.sh prints it). */
  installDir: string;
  /** N8N_USER_FOLDER: n8n keeps its database, settings and installed community nodes under .n8n there. */
  userFolder: string;
  port: number;
  /** The port of n8n's task broker (its default, 5679, would collide between test runs). */
  brokerPort: number;
  /** Where n8n's output goes (kept for a failed run). */
  logFile: string;
}

export const OWNER = { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', password: 'Hookrelay-n8n-1' };
const BROWSER_ID = randomUUID();

/** One n8n process; start() and stop() can be called again on the same user folder (a restart). */
export class N8n {
  readonly url: string;
  readonly #options: N8nOptions;
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  #log = '';
  apiKey = '';

  constructor(options: N8nOptions) {
    this.#options = options;
    this.url = `http://127.0.0.1:${options.port}`;
  }

  /** n8n's output since the last start (to show what it logged when an assertion fails). */
  get log(): string {
    return this.#log;
  }

  async start(): Promise<void> {
    const { installDir, userFolder, port, logFile } = this.#options;
    const env = {
      ...process.env,
      N8N_USER_FOLDER: userFolder,
      N8N_PORT: String(port),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_HOST: '127.0.0.1',
      WEBHOOK_URL: `${this.url}/`,
      N8N_ENCRYPTION_KEY: 'hookrelay-n8n-test-encryption-key',
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_SECURE_COOKIE: 'false',
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
      N8N_RUNNERS_BROKER_PORT: String(this.#options.brokerPort),
      N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
      N8N_LOG_LEVEL: 'info',
      DB_SQLITE_POOL_SIZE: '2',
    };
    this.#log = '';
    const out = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(process.execPath, [join(installDir, 'node_modules/n8n/bin/n8n'), 'start'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.#log += chunk.toString('utf8');
        out.write(chunk);
      });
    }
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitFor(
      'n8n to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`n8n exited with ${child.exitCode}:\n${this.#log.slice(-3000)}`);
        const res = await fetch(`${this.url}/healthz/readiness`).catch(() => null);
        return res?.status === 200;
      },
      180_000,
      250,
    );
    // The REST API and the published workflows come a few seconds after readiness.
    await this.waitUntilActivated();
  }

  /** Waits until n8n has activated its published workflows after a start ("Editor is now accessible"). */
  async waitUntilActivated(): Promise<void> {
    await waitFor('n8n to activate its workflows', () => /Editor is now accessible/.test(this.#log), 120_000, 100);
  }

  async stop(): Promise<void> {
    if (!this.#child || this.#child.exitCode !== null) return;
    this.#child.kill('SIGTERM');
    await this.#exited;
    this.#child = null;
  }

  /** Owner account, login and a public-API key, as a person would make them in the UI. */
  async setUp(): Promise<void> {
    const setup = await fetch(`${this.url}/rest/owner/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
      body: JSON.stringify(OWNER),
    });
    if (!setup.ok) throw new Error(`owner setup: ${setup.status} ${await setup.text()}`);
    const login = await fetch(`${this.url}/rest/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'browser-id': BROWSER_ID },
      body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
    });
    if (!login.ok) throw new Error(`login: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0];
    const rest = { cookie, 'browser-id': BROWSER_ID, 'content-type': 'application/json' };
    const scopesRes = await fetch(`${this.url}/rest/api-keys/scopes`, { headers: rest });
    const scopes = ((await scopesRes.json()) as { data: string[] }).data;
    const keyRes = await fetch(`${this.url}/rest/api-keys`, {
      method: 'POST',
      headers: rest,
      body: JSON.stringify({ label: 'hookrelay test', scopes, expiresAt: null }),
    });
    if (!keyRes.ok) throw new Error(`api key: ${keyRes.status} ${await keyRes.text()}`);
    this.apiKey = ((await keyRes.json()) as { data: { rawApiKey: string } }).data.rawApiKey;
  }

  /** A public API call (`/api/v1/...`); throws with n8n's answer on an error status. */
  async api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { 'x-n8n-api-key': this.apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`n8n ${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}
