-- A due timer is taken with a lease and marked fired only once its step is
-- done (its alert delivered, or its release written): a node that dies, or
-- a store error, between taking a step and acting on it leaves the lease
-- to lapse, and the next tick on any node takes the step again.
ALTER TABLE handoff_timers ADD COLUMN leased_until TIMESTAMPTZ;
