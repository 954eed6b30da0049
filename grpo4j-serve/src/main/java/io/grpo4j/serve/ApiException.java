package io.grpo4j.serve;

/**
 * An error answered in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}},
 * with its HTTP status. Thrown anywhere in a handler; the server turns it into the response.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String type;
  private final String param;
  private final String code;

  public ApiException(int status, String message, String type, String param, String code) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400: a request field is missing, of the wrong type or out of range. */
  public static ApiException invalid(String param, String message) {
    return new ApiException(400, message, "invalid_request_error", param, null);
  }

  /** 400 with a machine-readable code (e.g. {@code context_length_exceeded}). */
  public static ApiException invalid(String param, String message, String code) {
    return new ApiException(400, message, "invalid_request_error", param, code);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }
}
