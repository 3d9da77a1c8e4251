-- received_put_count is the put_count a message had when it was last
-- received. A put folded into a message while a worker holds it bumps
-- put_count past it, so the worker's Ack knows newer work arrived and leaves
-- the message pending (with the new data) instead of acknowledging it.
ALTER TABLE queue_messages ADD COLUMN received_put_count integer NOT NULL DEFAULT 0;
