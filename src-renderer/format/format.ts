// Numbers for people: durations, percentages, IoU.

/** 950 -> "1 s", 75_000 -> "1 min 15 s", 3_900_000 -> "1 h 5 min"; null -> "". */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** done/total as a whole percentage in 0..100 (0 when total is 0). */
export function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.max(0, Math.round((done / total) * 100))) : 0;
}

/** 0.4567 -> "0.457"; null -> "—". */
export function formatIoU(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}
