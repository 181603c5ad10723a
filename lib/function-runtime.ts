/**
 * How Cordon's functions are sized, in one place: the construct deploys it and the bench measures
 * the per-finding CPU under it (bench/deployed.ts). Nothing here imports anything.
 *
 * Memory: Lambda gives a function CPU in proportion to its memory (a full vCPU at 1,769 MB), so at
 * 512 MB every millisecond of CPU a finding needs takes about 3.5 ms of wall time; 1,024 MB halves
 * the time to containment (module init included) for a function that runs rarely, at a cost per
 * response still far below a tenth of a cent (the burst bench reports it).
 *
 * Young generation: a finding allocates about 300 KiB (bench row "heap allocated per finding"); the
 * finding that meets a young-generation collection (scavenge) pays a few milliseconds for it, and
 * that finding is the CPU p99. V8's default semi-space (16 MB) makes that about one finding in 50.
 * Lambda's Node.js runtime sizes the semi-space from the memory (memory / 10 / 2 MB on its command
 * line, in the runtime images that publish their bootstrap); Cordon sets the same size in
 * NODE_OPTIONS so the function gets it either way (a command-line flag wins over NODE_OPTIONS, and
 * both give the same value): about one finding in 170 meets a scavenge.
 */

/** Memory of every Cordon function that does not choose its own (MB). */
export const FUNCTION_MEMORY_MB = 1024;

/** V8's semi-space for a function of `memoryMb` MB: the Lambda runtime's own rule (memory / 10 / 2). */
export const semiSpaceMb = (memoryMb: number): number => Math.floor(memoryMb / 10 / 2);

/** The V8 flag that gives a function of `memoryMb` MB that young generation. */
export const youngGenerationFlag = (memoryMb: number): string => `--max-semi-space-size=${semiSpaceMb(memoryMb)}`;
