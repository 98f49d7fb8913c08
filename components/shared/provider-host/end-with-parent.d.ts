// Types of end-with-parent.js (plain CommonJS: it loads before any TypeScript loader exists).
export function alive(pid: number): boolean;
export function endWithParent(beforeEnd?: () => void, intervalMs?: number): void;
export function holding<T>(what: string, step: () => Promise<T>): Promise<T>;
export function isHolding(pid: number): boolean;
export function watchOutsideHolds(watch: () => void, intervalMs?: number): void;
