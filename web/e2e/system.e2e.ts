// The System page: an admin finds it in the navigation and sees live charts drawn from
// /metrics, including a version conflict made while the page is open; a planner (not an
// admin) has no link to it and is told it is for administrators.
import type {Browser} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ADMIN, Api, createPlanner, launchBrowser, PLANNER, screenshot, signedInPage, startServer, type FolioServer} from './harness';

let server: FolioServer;
let browser: Browser;
let admin: Api;

beforeAll(async () => {
  server = await startServer();
  ({browser} = await launchBrowser());
  admin = await Api.login(server.url, ADMIN);
  await createPlanner(admin);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the System page', () => {
  it('draws requests, latency, conflicts and projection lag from /metrics for an admin',
     async () => {
       const {context, page} = await signedInPage(browser, server.url, ADMIN);
       await page.getByRole('link', {name: 'System', exact: true}).click();
       await page.getByRole('heading', {name: 'System', level: 1}).waitFor();
       // Traffic and one conflict (a stale version) while the page polls.
       const resource =
           await admin.create('resources', {name: 'Crane', resource_type: 'non_labor'});
       await admin.patch('resources', resource.id, {version: 1, name: 'Crane A'});
       await admin.call(
           'PATCH', `/api/v1/resources/${resource.id}`, {version: 1, name: 'Crane B'}, [409]);
       for (let i = 0; i < 20; i++) await admin.get('resources', resource.id);

       const conflicts = page.getByRole('region', {name: 'Version conflicts per second'});
       await conflicts.getByText('resource:').waitFor({timeout: 20_000});
       const requests = page.getByRole('region', {name: 'Requests and errors per second'});
       expect(await requests.locator('polyline').count()).toBe(2);
       expect(await page.getByRole('region', {name: 'p99 latency'}).getByText('p99:').count())
           .toBe(1);
       expect(await requests.getByText('requests:').count()).toBe(1);
       // The utilisation view's lag, 0 s when it keeps up.
       expect(await page.getByRole('region', {name: 'Projection lag'})
                  .getByText('resource utilisation:')
                  .count())
           .toBe(1);
       // The status line says when the figures were last read.
       expect(await page.getByRole('status').first().textContent())
           .toMatch(/Updated .*; \d+ samples?\./);
       // A few more samples, so that the screenshot shows lines over time.
       for (let i = 0; i < 40 &&
            !/; [4-9]\d* samples|; \d{2,} samples/.test(
                (await page.getByRole('status').first().textContent()) ?? '');
            i++) {
         await admin.get('resources', resource.id);
         await page.waitForTimeout(500);
       }
       await screenshot(page, 'system-page');
       await context.close();
     },
     60_000);

  it('is not offered to a planner, and says so when opened directly', async () => {
    const {context, page} = await signedInPage(browser, server.url, PLANNER);
    await page.getByRole('navigation', {name: 'Main'})
        .getByRole('link', {name: 'Projects', exact: true})
        .waitFor();
    expect(await page.getByRole('link', {name: 'System', exact: true}).count()).toBe(0);
    await page.goto('/#/system');
    await page.getByText('Only administrators can see the System page.').waitFor();
    await context.close();
  });
});
