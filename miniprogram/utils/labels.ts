/** Words for the API's codes that several pages show (one place, so a tier has one name). */

const TIERS: Record<string, string> = { gold: '金卡会员', silver: '银卡会员', bronze: '铜卡会员' }

/** A points tier in words ('silver' -> 银卡会员); an unknown one is just 会员. */
export function tierLabel(tier: string | null | undefined): string {
  return (tier && TIERS[tier]) || '会员'
}
