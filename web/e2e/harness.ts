// End-to-end harness: a real `folio serve` on a fresh SQLite file in a temporary folder on
// a free port, serving the built console (web/dist); Debian's chromium driven by
// playwright-core; a small API helper to set up data as an admin would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const ADMIN = { username: 'alice', password: 'alice-password-1' };
export const PLANNER = { username: 'bob', password: 'bob-password-1' };

export const screenshotDir = resolve(process.env.FOLIO_SCREENSHOT_DIR || join(repoRoot, 'build/web-screenshots'));

export interface FolioServer {
  url: string;
  stop(): Promise<void>;
}

export async function startServer(): Promise<FolioServer> {
  const binary = process.env.FOLIO_BIN || join(repoRoot, 'build/cli/folio');
  const webRoot = process.env.FOLIO_WEB_ROOT || join(repoRoot, 'web/dist');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build Folio first (scripts/build.sh)`);
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html is missing: run npm run build in web/`);
  const dir = mkdtempSync(join(tmpdir(), 'folio-e2e-'));
  const child: ChildProcess = spawn(binary, ['--db', `sqlite://${dir}/folio.db`, 'serve', '--listen', '127.0.0.1:0', '--web-root', webRoot, '--workers', '4'], {
    env: { ...process.env, FOLIO_ADMIN_USERNAME: ADMIN.username, FOLIO_ADMIN_PASSWORD: ADMIN.password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`folio serve did not start in 20 s:\n${output}`)), 20000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => fail(new Error(`folio serve exited with ${code}:\n${output}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Playwright gives every launch a fresh temporary profile (user-data dir) and removes it.
export async function launchBrowser(): Promise<{ browser: Browser }> {
  const browser = await chromium.launch({
    executablePath: process.env.FOLIO_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return { browser };
}

/** A signed-in page of its own browser context (its own session storage: another user). */
export async function signedInPage(browser: Browser, baseUrl: string, user: { username: string; password: string }, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('User name').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('.signed-in-as', { hasText: `Signed in as ${user.username}` }).waitFor({ state: 'attached' });
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Minimal API access for test setup and for checking what the server stored. */
export class Api {
  constructor(readonly url: string, readonly token: string) {}

  static async login(url: string, user: { username: string; password: string }): Promise<Api> {
    const r = await fetch(`${url}/api/v1/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(user) });
    if (!r.ok) throw new Error(`login ${user.username}: ${r.status} ${await r.text()}`);
    return new Api(url, ((await r.json()) as { access_token: string }).access_token);
  }

  async call(method: string, path: string, body?: unknown, expected = [200, 201]): Promise<Record<string, any>> {
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!expected.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : {};
  }

  create(collection: string, body: Record<string, unknown>) {
    return this.call('POST', `/api/v1/${collection}`, body);
  }
  get(collection: string, id: string) {
    return this.call('GET', `/api/v1/${collection}/${id}`);
  }
  patch(collection: string, id: string, body: Record<string, unknown>) {
    return this.call('PATCH', `/api/v1/${collection}/${id}`, body);
  }
}

/** The planner (bob): a program manager with global scope, created through the API. */
export async function createPlanner(admin: Api): Promise<void> {
  const user = await admin.create('users', { username: PLANNER.username, email: 'bob@example.org', password: PLANNER.password });
  const role = await admin.create('user-roles', { user_id: user.id, role_type: 'program_manager' });
  await admin.create('scope-assignments', { user_role_id: role.id, scope_type: 'global' });
}

/** A portfolio, program and project (March to June 2026). */
export async function createProject(admin: Api, n = 1): Promise<Record<string, any>> {
  const portfolio = await admin.create('portfolios', {
    name: `Portfolio ${n}`, description: 'Customer platforms', owner: 'Dana', reporting_start_date: '2026-01-01', reporting_end_date: '2026-12-31',
  });
  const program = await admin.create('programs', {
    portfolio_id: portfolio.id, name: `Program ${n}`, business_sponsor: 'Eve', program_manager: 'Bob', technical_lead: 'Finn', start_date: '2026-01-01', end_date: '2026-12-31',
  });
  return admin.create('projects', {
    program_id: program.id, name: `Apollo ${n}`, business_sponsor: 'Eve', project_manager: 'Bob', technical_lead: 'Finn',
    start_date: '2026-03-02', end_date: '2026-06-30', cost_center_code: `CC-${n}`, description: 'Moon landing',
  });
}
