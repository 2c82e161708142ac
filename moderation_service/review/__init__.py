"""The review queue and everything kept in Redis: comment records, queues, and their keys."""
