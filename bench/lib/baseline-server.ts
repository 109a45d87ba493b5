// The comparison point for bench:ingest: a bare Express 5 handler that parses the same JSON bodies and
// answers the same shape, with no verification and no storage. Prints {"port": N} once listening.
import express from 'express';

const app = express();
app.post('/hooks/:source', express.json({ limit: '1mb' }), (req, res) => {
  res.json({ id: String((req.body as { id?: unknown }).id ?? ''), duplicate: false });
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
