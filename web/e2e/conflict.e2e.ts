// Two planners edit the same project at once in two browsers: the second save gets the
// conflict dialog; Refresh & Retry puts the second user's change onto the new version and
// only the user's Save stores it (version 3); Cancel keeps the first user's value. Edits
// of different fields need no dialog: the server merges them and the form says so.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Api, createPlanner, createProject, launchBrowser, PLANNER, screenshot, screenshotDir, signedInPage, startServer, type FolioServer } from './harness';

let server: FolioServer;
let browser: Browser;
let admin: Api;

beforeAll(async () => {
  server = await startServer();
  ({ browser } = await launchBrowser());
  admin = await Api.login(server.url, ADMIN);
  await createPlanner(admin);
  console.log(`screenshots: ${screenshotDir}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// A new project, opened at version 1 by the planner (bob) and the admin (alice) in two browsers.
async function bothOpenANewProject(n: number) {
  const project = await createProject(admin, n);
  const bob = await signedInPage(browser, server.url, PLANNER);
  const alice = await signedInPage(browser, server.url, ADMIN);
  for (const { page } of [bob, alice]) {
    await page.goto(`/#/e/projects/${project.id}`);
    await page.getByText('Version 1', { exact: true }).waitFor();
  }
  return { project, bob, alice };
}

describe('the conflict dialog', () => {
  it('shows both values and the first change; Refresh & Retry then Save stores the second value at version 3', async () => {
    const { project, bob, alice } = await bothOpenANewProject(1);

    // The first user saves.
    await bob.page.getByLabel('Name', { exact: true }).fill('Apollo (Bob)');
    await bob.page.getByRole('button', { name: 'Save' }).click();
    await bob.page.getByText('Version 2', { exact: true }).waitFor();

    // The second user, still at version 1, saves too and gets the dialog.
    await alice.page.getByLabel('Name', { exact: true }).fill('Apollo (Alice)');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'Someone else changed this project' });
    await dialog.waitFor();
    await expect(dialog.getByText('Your changes were not saved', { exact: false })).toBeTruthy();
    const row = dialog.locator('tr[data-field="name"]');
    expect(await row.locator('td.yours').innerText()).toBe('Apollo (Alice)');
    expect(await row.locator('td.current').innerText()).toBe('Apollo (Bob)');
    expect(await row.getAttribute('class')).toContain('differs');
    const since = await dialog.getByRole('list', { name: 'Changes since you opened it' }).innerText();
    expect(since).toContain('Version 2');
    expect(since).toContain('bob');
    expect(since).toContain('Name: Apollo 1 → Apollo (Bob)');
    expect(await dialog.locator('.current-version').innerText()).toBe('Current version: 2');
    // Focus is inside the dialog, on the safe default.
    expect(await alice.page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
    expect(await alice.page.evaluate(() => document.activeElement?.textContent)).toBe('Refresh & Retry');
    console.log(`conflict dialog: ${await screenshot(alice.page, 'conflict-dialog')}`);

    // Nothing was saved by the dialog itself.
    expect((await admin.get('projects', project.id)).name).toBe('Apollo (Bob)');

    await dialog.getByRole('button', { name: 'Refresh & Retry' }).click();
    await dialog.waitFor({ state: 'detached' });
    await alice.page.getByText('Version 2', { exact: true }).waitFor();
    expect(await alice.page.getByLabel('Name', { exact: true }).inputValue()).toBe('Apollo (Alice)');
    await alice.page.getByText('Your changes are re-applied onto version 2').waitFor();
    console.log(`after Refresh & Retry: ${await screenshot(alice.page, 'conflict-after-retry')}`);
    const stored = await admin.get('projects', project.id);
    expect([stored.name, stored.version]).toEqual(['Apollo (Bob)', 2]);

    await alice.page.getByRole('button', { name: 'Save' }).click();
    await alice.page.getByText('Version 3', { exact: true }).waitFor();
    const saved = await admin.get('projects', project.id);
    expect([saved.name, saved.version]).toEqual(['Apollo (Alice)', 3]);
    await bob.context.close();
    await alice.context.close();
  });

  it('Cancel discards the second change and keeps the first user\'s value', async () => {
    const { project, bob, alice } = await bothOpenANewProject(2);
    await bob.page.getByLabel('Technical lead').fill('Grace');
    await bob.page.getByRole('button', { name: 'Save' }).click();
    await bob.page.getByText('Version 2', { exact: true }).waitFor();

    await alice.page.getByLabel('Technical lead').fill('Heidi');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    const dialog = alice.page.getByRole('dialog');
    await dialog.waitFor();
    // Keyboard only: Tab from "Refresh & Retry" to "Cancel", Enter.
    await alice.page.keyboard.press('Tab');
    expect(await alice.page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await alice.page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await alice.page.getByText('Your changes were discarded').waitFor();
    expect(await alice.page.getByLabel('Technical lead').inputValue()).toBe('Grace');
    await alice.page.getByText('Version 2', { exact: true }).waitFor();
    const stored = await admin.get('projects', project.id);
    expect([stored.technical_lead, stored.version]).toEqual(['Grace', 2]);
    await bob.context.close();
    await alice.context.close();
  });

  it('edits of different fields are merged: no dialog, a notice naming the versions, and the form shows both', async () => {
    const { project, bob, alice } = await bothOpenANewProject(4);
    await bob.page.getByLabel('Technical lead').fill('Grace');
    await bob.page.getByRole('button', { name: 'Save' }).click();
    await bob.page.getByText('Version 2', { exact: true }).waitFor();

    // Alice, still at version 1, changes another field: the server merges it over version 2.
    await alice.page.getByLabel('Name', { exact: true }).fill('Apollo (Alice)');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    await alice.page.getByText('Version 3', { exact: true }).waitFor();
    const notice = await alice.page.locator('#form-messages [role="status"]').innerText();
    expect(notice).toContain('Saved. Merged with changes by others (version 2) to fields you did not edit: Technical lead.');
    expect(await alice.page.getByRole('dialog').count()).toBe(0);
    // The form shows the entity as stored, Bob's change included.
    expect(await alice.page.getByLabel('Technical lead').inputValue()).toBe('Grace');
    expect(await alice.page.getByLabel('Name', { exact: true }).inputValue()).toBe('Apollo (Alice)');
    console.log(`merged save: ${await screenshot(alice.page, 'merged-save')}`);
    const stored = await admin.get('projects', project.id);
    expect([stored.name, stored.technical_lead, stored.version]).toEqual(['Apollo (Alice)', 'Grace', 3]);
    await bob.context.close();
    await alice.context.close();
  });

  it('a collision with other data (a cost center code in use) opens the same dialog; Escape cancels', async () => {
    const project = await createProject(admin, 3);
    const alice = await signedInPage(browser, server.url, ADMIN);
    await alice.page.goto(`/#/e/projects/${project.id}`);
    await alice.page.getByLabel('Cost center code').fill('CC-1');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    const dialog = alice.page.getByRole('dialog', { name: 'Your changes were not saved' });
    await dialog.waitFor();
    const row = dialog.locator('tr[data-field="cost_center_code"]');
    expect(await row.locator('td.yours').innerText()).toBe('CC-1');
    expect(await row.locator('td.current').innerText()).toBe('CC-3');
    expect(await dialog.innerText()).toContain('Nobody else changed this item');
    await alice.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await alice.page.getByText('Your changes were discarded').waitFor();
    expect(await alice.page.getByLabel('Cost center code').inputValue()).toBe('CC-3');
    const stored = await admin.get('projects', project.id);
    expect([stored.cost_center_code, stored.version]).toEqual(['CC-3', 1]);
    await alice.context.close();
  });
});
