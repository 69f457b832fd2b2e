// One generic form serves all 13 entity types: each list shows its item, each form edits
// it (version 1 -> 2), a new item is created through the form, and a refused value is
// shown at its field without saving anything.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Api, createProject, launchBrowser, screenshot, signedInPage, startServer, type FolioServer } from './harness';

let server: FolioServer;
let browser: Browser;
let admin: Api;
let page: Page;
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startServer();
  ({ browser } = await launchBrowser());
  admin = await Api.login(server.url, ADMIN);
  const project = await createProject(admin, 1);
  ids.projects = project.id;
  ids.programs = project.program_id;
  ids.portfolios = (await admin.get('programs', project.program_id)).portfolio_id;
  const add = async (collection: string, body: Record<string, unknown>) => (ids[collection] = (await admin.create(collection, body)).id);
  await add('project-phases', { project_id: ids.projects, name: 'Design', start_date: '2026-03-02', end_date: '2026-03-31', capital_budget: '1000.00', expense_budget: '500.00' });
  await add('resources', { name: 'Ada Lovelace', resource_type: 'labor' });
  await add('worker-types', { type: 'Engineer', description: 'Builds things' });
  await add('workers', { worker_type_id: ids['worker-types'], external_id: 'EXT-1', name: 'Grace Hopper' });
  await add('resource-assignments', { resource_id: ids.resources, project_id: ids.projects, assignment_date: '2026-03-03', capital_percentage: 10, expense_percentage: 10 });
  await add('rates', { worker_type_id: ids['worker-types'], rate_amount: '800.00', start_date: '2026-01-01', end_date: '2026-12-31' });
  await add('actuals', { project_id: ids.projects, worker_id: ids.workers, actual_date: '2026-03-03', allocation_percentage: 10, actual_cost: '100.00', capital_amount: '40.00', expense_amount: '60.00' });
  await add('users', { username: 'carol', email: 'carol@example.org', password: 'carol-password-1' });
  await add('user-roles', { user_id: ids.users, role_type: 'viewer' });
  await add('scope-assignments', { user_role_id: ids['user-roles'], scope_type: 'project', project_id: ids.projects });
  ({ page } = await signedInPage(browser, server.url, ADMIN));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

// collection, the label of a field to change, the new value ('' for a checkbox to clear), the API field and value.
const edits: [string, string, string, string, unknown][] = [
  ['portfolios', 'Owner', 'Olga', 'owner', 'Olga'],
  ['programs', 'Technical lead', 'Linus', 'technical_lead', 'Linus'],
  ['projects', 'Technical lead', 'Linus', 'technical_lead', 'Linus'],
  ['project-phases', 'Capital budget', '1250.50', 'capital_budget', '1250.50'],
  ['resources', 'Description', 'Analyst', 'description', 'Analyst'],
  ['worker-types', 'Description', 'Designs things', 'description', 'Designs things'],
  ['workers', 'Name', 'Grace B. Hopper', 'name', 'Grace B. Hopper'],
  ['resource-assignments', 'Capital percentage', '30', 'capital_percentage', 30],
  ['rates', 'Rate amount', '900.00', 'rate_amount', '900.00'],
  ['actuals', 'Allocation percentage', '20', 'allocation_percentage', 20],
  ['users', 'Email', 'carol@example.com', 'email', 'carol@example.com'],
  ['user-roles', 'Is active', '', 'is_active', false],
  ['scope-assignments', 'Is active', '', 'is_active', false],
];

describe('the generic list and form', () => {
  it.each(edits)('lists and edits %s', async (collection, label, value, field, stored) => {
    await page.goto(`/#/e/${collection}`);
    if (collection === 'projects') {
      await page.locator('tbody tr').first().waitFor();
      console.log(`list: ${await screenshot(page, 'list-projects')}`);
    }
    await page.locator(`tbody a[href="#/e/${collection}/${ids[collection]}"]`).click();
    await page.getByText('Version 1', { exact: true }).waitFor();
    const input = page.getByLabel(label, { exact: true });
    if (value === '') await input.uncheck();
    else await input.fill(value);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Version 2', { exact: true }).waitFor();
    const entity = await admin.get(collection, ids[collection]);
    expect([entity[field], entity.version]).toEqual([stored, 2]);
  });

  it('creates an item through the form and shows a refused value at its field', async () => {
    await page.goto('/#/e/portfolios/new');
    await page.getByLabel('Name', { exact: true }).fill('Growth');
    await page.getByLabel('Description').fill('New markets');
    await page.getByLabel('Owner').fill('Dana');
    await page.getByLabel('Reporting start date').fill('2026-12-31');
    await page.getByLabel('Reporting end date').fill('2026-01-01');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.field-error').first().waitFor();
    expect(await page.getByLabel('Reporting end date').getAttribute('aria-invalid')).toBe('true');
    console.log(`refused value: ${await screenshot(page, 'form-validation')}`);
    const listed = await admin.call('GET', '/api/v1/portfolios');
    expect(listed.items.map((p: { name: string }) => p.name)).not.toContain('Growth');

    await page.getByLabel('Reporting start date').fill('2026-01-01');
    await page.getByLabel('Reporting end date').fill('2026-12-31');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Created at version 1.').waitFor();
    expect(await page.locator('h1').innerText()).toBe('Portfolio: Growth');
  });
});
