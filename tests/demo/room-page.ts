/** Driving the demo's room and lobby pages in a browser, waiting on the DOM, never on time. */
import type { BrowserContext, Page } from 'playwright-core';

// The functions passed to waitForFunction run in the page. The project's
// tsconfig has no DOM library, so the little they use is declared here.
interface DomElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): DomElement | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<DomElement> & ArrayLike<DomElement>;
  getElementById(id: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
};

/** Script errors and console errors of every watched page (a CSP violation is a console error). */
export const pageErrors: string[] = [];

/** Record `page`'s errors in `pageErrors`. */
export function watchErrors(page: Page, label: string): void {
  page.on('pageerror', (error) => pageErrors.push(`${label}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`${label}: console: ${message.text()}`);
  });
}

/** Open `/chat/<room>/` as `name` and wait until connected and listed. */
export async function openRoom(context: BrowserContext, baseUrl: string, room: string, name: string): Promise<Page> {
  const page = await context.newPage();
  watchErrors(page, `#${room} (${name})`);
  await page.goto(`${baseUrl}/chat/${room}/?name=${encodeURIComponent(name)}`);
  await page.locator('#status[data-state="open"]').waitFor();
  await page.locator(`#members li[data-id="${name.toLowerCase()}"]`).waitFor();
  return page;
}

/** Type `text` and press Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

/** Wait for a chat line by `author` reading `text`. */
export async function waitForLine(page: Page, author: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([a, t]) =>
      Array.from(document.querySelectorAll('#log li.msg')).some(
        (li) => li.querySelector('.author')?.textContent === a && li.querySelector('.text')?.textContent === t,
      ),
    [author, text] as const,
  );
}

/** Wait until the newest line of the log reads `text`. */
export async function waitForLastLine(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('#log li.msg:last-child .text')?.textContent === t, text);
}

/** The texts of every chat line on the page. */
export function lines(page: Page): Promise<string[]> {
  return page.$$eval('#log li.msg .text', (els) => els.map((el) => (el as unknown as DomElement).textContent ?? ''));
}

/** Member ids in the presence list, sorted. */
export async function memberIds(page: Page): Promise<string[]> {
  const ids = await page.$$eval('#members li', (els) => els.map((el) => (el as unknown as DomElement).dataset.id ?? ''));
  return ids.sort();
}

/** Wait until the presence list shows exactly `ids` (any order) and the count agrees. */
export async function waitForMembers(page: Page, ids: string[]): Promise<void> {
  const want = [...ids].sort();
  await page.waitForFunction((expected) => {
    const got = Array.from(document.querySelectorAll('#members li'))
      .map((li) => li.dataset.id ?? '')
      .sort();
    return JSON.stringify(got) === JSON.stringify(expected) && document.getElementById('count')?.textContent === String(expected.length);
  }, want);
}

/** Wait until the lobby page lists `room` with `count` people. */
export async function waitForRoomCount(page: Page, room: string, count: number): Promise<void> {
  const label = `${count} ${count === 1 ? 'person' : 'people'}`;
  await page.locator(`#rooms li[data-room="${room}"] .room-count`, { hasText: label }).waitFor();
}
