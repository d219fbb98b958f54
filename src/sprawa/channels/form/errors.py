"""Errors of the form / HTTP API channel webhook."""

from sprawa.platform.errors import AppError


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
