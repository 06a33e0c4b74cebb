import type { Server } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/protocol.js';
import type { IngestJobs } from '../indexes/jobs.js';
import { socketAuthenticated } from '../security/socket.js';

const ROOM = 'control-plane';

/** Every ingest job's progress as `ingest` events, to the sockets that passed the control-plane token check only. */
export function broadcastIngest(io: Server<ClientToServerEvents, ServerToClientEvents>, token: string | undefined, jobs: IngestJobs): () => void {
  io.on('connection', (socket) => {
    if (socketAuthenticated(socket, token)) void socket.join(ROOM);
  });
  return jobs.onUpdate((job) => {
    io.to(ROOM).emit('ingest', job);
  });
}
