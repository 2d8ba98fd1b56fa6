// Preloaded into each igpg run of the corpus: writes the process's own CPU time (user + system, microseconds)
// at exit, so "answers within 5 s" is measured as work done, not as the wait for a CPU on a busy machine.
const fs = require('node:fs');
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  try { fs.writeFileSync(process.env.IGPG_CPU_REPORT, String(user + system)); } catch { /* reporting only */ }
});
