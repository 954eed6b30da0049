package io.grpo4j.report;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code grpo4j dashboard}: one page over a {@link RunSet}, with a small JSON API the page polls
 * every two seconds ({@code /api/version} changes as soon as a run appends a row), so curves and
 * rollouts of a run that is training come in live.
 *
 * <pre>
 * GET /                      the page
 * GET /assets/*              uPlot (from its WebJar) and the page's script and style
 * GET /api/runs              [{id, name, dir, summary}]
 * GET /api/version           {version}: changes when any run's files grow
 * GET /api/metrics?run=&amp;max=  downsampled curves (at most max points, default 1500)
 * GET /api/steps?run=        steps with logged rollouts and their row counts
 * GET /api/rollouts?run=&amp;step=&amp;from=&amp;limit=  one page of a step's rollouts, grouped
 * GET /api/summary?run=      the run's summary.json (404 when it has none)
 * </pre>
 */
public final class DashboardServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
  private static final Map<String, String[]> ASSETS =
      Map.of(
          "uPlot.iife.min.js", new String[] {Page.UPLOT_JS, "text/javascript"},
          "uPlot.min.css", new String[] {Page.UPLOT_CSS, "text/css"},
          "app.js", new String[] {Page.APP_JS, "text/javascript"},
          "app.css", new String[] {Page.APP_CSS, "text/css"});

  private final Javalin app;

  private DashboardServer(RunSet runs, String host, int port, String title) {
    String page = Page.live(title);
    this.app =
        Javalin.create(
            cfg -> {
              cfg.startup.showJavalinBanner = false;
              cfg.startup.showOldJavalinVersionWarning = false;
              cfg.jetty.host = host;
              cfg.jetty.port = port;
              cfg.routes.get("/", ctx -> ctx.html(page));
              cfg.routes.get("/assets/{name}", this::asset);
              cfg.routes.get("/api/runs", ctx -> ctx.json(runs.runsJson()));
              cfg.routes.get("/api/version", ctx -> ctx.json(Map.of("version", runs.version())));
              cfg.routes.get(
                  "/api/metrics",
                  ctx ->
                      ctx.json(
                          runs.metricsJson(
                              intParam(ctx, "run", 0),
                              Math.max(2, intParam(ctx, "max", RunSet.DEFAULT_MAX_POINTS)))));
              cfg.routes.get(
                  "/api/steps", ctx -> ctx.json(runs.stepsJson(intParam(ctx, "run", 0))));
              cfg.routes.get(
                  "/api/rollouts",
                  ctx ->
                      ctx.json(
                          runs.rolloutsJson(
                              intParam(ctx, "run", 0),
                              longParam(ctx, "step"),
                              intParam(ctx, "from", 0),
                              Math.min(1000, intParam(ctx, "limit", RunSet.DEFAULT_PAGE)))));
              cfg.routes.get(
                  "/api/summary",
                  ctx -> {
                    var s = runs.summaryJson(intParam(ctx, "run", 0));
                    if (s == null) ctx.status(404).json(Map.of("error", "no summary.json"));
                    else ctx.json(s);
                  });
              cfg.routes.exception(
                  IllegalArgumentException.class,
                  (e, ctx) -> ctx.status(400).json(Map.of("error", e.getMessage())));
              cfg.routes.exception(
                  IOException.class,
                  (e, ctx) -> {
                    LOG.warn("dashboard: {}", e.getMessage());
                    ctx.status(500).json(Map.of("error", String.valueOf(e.getMessage())));
                  });
            });
  }

  /** Starts serving (returns once it listens); port 0 picks a free port. */
  public static DashboardServer start(RunSet runs, String host, int port, String title) {
    DashboardServer s = new DashboardServer(runs, host, port, title);
    s.app.start();
    return s;
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
  }

  private void asset(Context ctx) {
    String[] a = ASSETS.get(ctx.pathParam("name"));
    if (a == null) {
      ctx.status(404).result("no asset " + ctx.pathParam("name"));
      return;
    }
    ctx.contentType(a[1] + "; charset=utf-8").result(Page.resource(a[0]));
  }

  private static int intParam(Context ctx, String name, int dflt) {
    long v = longParam(ctx, name, (long) dflt);
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
  }

  private static long longParam(Context ctx, String name) {
    return longParam(ctx, name, null);
  }

  /** A query parameter as a whole number; absent: {@code dflt}, or an error when null. */
  private static long longParam(Context ctx, String name, Long dflt) {
    String v = ctx.queryParam(name);
    if (v == null || v.isBlank()) {
      if (dflt == null)
        throw new IllegalArgumentException("query parameter " + name + " is required");
      return dflt;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "query parameter " + name + "=" + v + " is not an integer");
    }
  }
}
