/**
 * `work`'s outcome, or, when `ms` pass first, what `late()` returns (or throws). The timer never outlives the
 * race. The one timeout race of the kit: readiness checks, stop steps and gRPC deadlines.
 * @example await withTimeout(check(), 2000, () => { throw new Error("timed out after 2000 ms"); });
 */
export function withTimeout<T, L>(work: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<L>((resolve, reject) => {
    timer = setTimeout(
      () => {
        try {
          resolve(late());
        } catch (err) {
          reject(err);
        }
      },
      Math.max(0, ms),
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
