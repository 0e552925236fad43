"""The library's single error type."""


class ValidationError(ValueError):
    """Raised at synth time when a construct receives arguments the service would reject.

    Messages name the Python argument, show the value received and what is allowed.
    """
