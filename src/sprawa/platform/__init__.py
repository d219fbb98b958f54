"""Domain-free helpers: ids, errors, crypto, jobs, inbound log, event bus, outbound HTTP."""
