package io.grpo4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Turns the exceptions a user can cause (bad files, bad flags, bad config) into one clear line on
 * stderr and exit code 2, instead of a stack trace. Set {@code GRPO4J_DEBUG=1} to see the trace.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(
      Exception ex, CommandLine cl, CommandLine.ParseResult parseResult) {
    if (System.getenv("GRPO4J_DEBUG") != null) {
      ex.printStackTrace();
    }
    boolean userError =
        ex instanceof IllegalArgumentException
            || ex instanceof IOException
            || ex instanceof UncheckedIOException
            || ex instanceof IllegalStateException
            || ex instanceof io.grpo4j.dist.DistException;
    String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    cl.getErr().println("grpo4j " + cl.getCommandName() + ": " + msg);
    if (!userError) {
      cl.getErr()
          .println(
              "(internal error "
                  + ex.getClass().getName()
                  + "; rerun with GRPO4J_DEBUG=1 for the stack trace)");
      return 1;
    }
    return 2;
  }
}
