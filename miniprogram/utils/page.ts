/** Small helpers shared by pages. */
import { ApiError, toApiError } from '../api/index'

/**
 * The error a page shows; a lost session (401 after the refresh was tried) starts over at the
 * launch page, which signs in again.
 */
export function pageError(e: unknown): ApiError {
  const error = toApiError(e)
  if (error.status === 401) wx.reLaunch({ url: '/pages/launch/index' })
  return error
}

/** "2026-12-06T08:30:00Z" -> "12月6日 16:30" in the phone's time zone. */
export function shortTime(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const pad = (n: number) => (n < 10 ? `0${n}` : `${n}`)
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** What the helpers below need of a page: its data and setData. */
interface PageLike {
  data: Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  setData(data: Record<string, unknown>): void
}

/**
 * A page's load: `loading` while `fetch` runs, then what it gives merged into the data, or the
 * error's Chinese message in `error` (a lost session goes back to launch, as pageError does).
 */
export async function loadInto(page: PageLike, fetch: () => Promise<Record<string, unknown>>): Promise<void> {
  page.setData({ loading: true, error: '' })
  try {
    page.setData({ loading: false, ...(await fetch()) })
  } catch (e) {
    page.setData({ loading: false, error: pageError(e).message })
  }
}

/**
 * The next page of a paged list kept in `data[key]` (rows with an `id`), from `data.nextCursor`:
 * rows already shown are not repeated; `loadingMore` while it loads, `moreError` when it fails
 * (what is shown stays).
 */
export async function loadNextPage<Row extends { id: string }>(
  page: PageLike, key: string, fetch: (cursor: string) => Promise<{ rows: Row[]; next: string | null | undefined }>,
): Promise<void> {
  const cursor = page.data.nextCursor as string
  if (!cursor || page.data.loadingMore) return
  page.setData({ loadingMore: true, moreError: '' })
  try {
    const { rows, next } = await fetch(cursor)
    const shown = page.data[key] as Row[]
    const seen = new Set(shown.map((r) => r.id))
    page.setData({ [key]: shown.concat(rows.filter((r) => !seen.has(r.id))), nextCursor: next || '' })
  } catch (e) {
    page.setData({ moreError: pageError(e).message })
  } finally {
    page.setData({ loadingMore: false })
  }
}
