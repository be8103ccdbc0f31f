"""ACP errors: the spec's flat error body, not Parley's usual `{"error": {...}}`."""

from agentic.error_codes import AcpErrorCode


class AcpError(Exception):
    """A refusal answered with the spec's `Error` schema: `type`, `code`, `message`, `param`."""

    def __init__(
        self,
        message: str,
        *,
        code: str = AcpErrorCode.INVALID,
        status: int = 400,
        type: str = "invalid_request",
        param: str | None = None,
        headers: dict | None = None,
        transient: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.type = type
        self.param = param
        self.headers = headers or {}
        # A passing state (another request is at work): never stored as the Idempotency-Key's
        # answer, so a retry with the same key gets the outcome, not this.
        self.transient = transient

    def body(self) -> dict:
        body = {"type": self.type, "code": self.code, "message": self.message}
        if self.param:
            body["param"] = self.param
        return body
