"""privacy feature: data subject requests (export, erasure), retention, consents, PII masking."""
