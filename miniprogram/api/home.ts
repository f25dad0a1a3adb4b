/** What the home tab shows, in one request (GET /me/home). */
import { request, Schemas } from './client'

export type HomeView = Schemas['HomeReply']
export type HomeStreak = Schemas['HomeStreak']
export type HomeTask = Schemas['HomeTask']
export type HomeCheckin = Schemas['HomeCheckin']

export const loadHome = () => request<HomeView>('GET', '/me/home')
