package io.grpo4j.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The one HTML page behind the dashboard and {@code report.html}. The dashboard links its scripts
 * from {@code /assets/}; the report inlines them (and its data) so the file opens from disk with no
 * server and no network. The chart library is uPlot from its WebJar on the class path.
 */
public final class Page {
  static final String UPLOT = "/META-INF/resources/webjars/uplot/1.6.30/dist/";
  static final String UPLOT_JS = UPLOT + "uPlot.iife.min.js", UPLOT_CSS = UPLOT + "uPlot.min.css";
  static final String APP_JS = "/io/grpo4j/report/app.js", APP_CSS = "/io/grpo4j/report/app.css";

  private Page() {}

  /** The dashboard's page: assets from the server, data from its API. */
  public static String live(String title) {
    return html(
        title,
        "<link rel=\"stylesheet\" href=\"assets/uPlot.min.css\">\n"
            + "<link rel=\"stylesheet\" href=\"assets/app.css\">\n",
        "<script>window.GRPO4J = {mode: \"live\"};</script>\n"
            + "<script src=\"assets/uPlot.iife.min.js\"></script>\n"
            + "<script src=\"assets/app.js\"></script>\n");
  }

  /** A self-contained page: styles, scripts and {@code data} inline. */
  public static String selfContained(String title, JsonNode data) {
    String json;
    try {
      json = RunSource.JSON.writeValueAsString(data);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    return html(
        title,
        "<style>\n" + resource(UPLOT_CSS) + "\n" + resource(APP_CSS) + "\n</style>\n",
        "<script>window.GRPO4J = {mode: \"static\", data: "
            + scriptSafe(json)
            + "};</script>\n<script>\n"
            + scriptSafe(resource(UPLOT_JS))
            + "\n</script>\n<script>\n"
            + scriptSafe(resource(APP_JS))
            + "\n</script>\n");
  }

  /** Text inside a script element must not close it: {@code </} becomes {@code <\/}. */
  static String scriptSafe(String s) {
    return s.replace("</", "<\\/").replace("<!--", "<\\!--");
  }

  /** A class-path resource as text (the page's assets). */
  public static String resource(String path) {
    try (InputStream in = Page.class.getResourceAsStream(path)) {
      if (in == null) throw new IllegalStateException("missing resource " + path);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String html(String title, String head, String scripts) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        + "<link rel=\"icon\" href=\"data:,\">\n<title>"
        + escape(title)
        + "</title>\n"
        + head
        + scripts
        + "</head>\n<body>\n"
        + "<header><h1>grpo4j \u00b7 "
        + escape(title)
        + "</h1><div id=\"runs\" class=\"runs\"></div><span id=\"live\" class=\"live\"></span>"
        + "<span id=\"error\" class=\"error\"></span></header>\n<main>\n"
        + "<h2>Training curves</h2><div class=\"controls\"><label title=\"exponential moving"
        + " average, debiased as TensorBoard's; the raw line stays faint behind\">smoothing"
        + " <input type=\"range\" id=\"smoothing\" min=\"0\" max=\"0.99\" step=\"0.01\">"
        + " <span id=\"smoothing-value\"></span></label>"
        + "<span id=\"curves-hint\" class=\"hint\"></span></div><div id=\"charts\"></div>\n"
        + "<h2>Evaluation</h2><div id=\"eval\"></div>\n"
        + "<h2 id=\"rollouts-title\">Rollouts</h2>\n<div class=\"controls\">"
        + "<label>run <select id=\"roll-run\"></select></label>"
        + "<button id=\"prev-step\">&larr;</button><select id=\"step\"></select>"
        + "<button id=\"next-step\">&rarr;</button>"
        + "<label>colour by <select id=\"colour-by\">"
        + "<option value=\"adv\">advantage A_t</option><option value=\"r\">token reward r_t</option>"
        + "<option value=\"entropy\">entropy</option><option value=\"logprob\">log-prob</option>"
        + "</select></label>"
        + "<span class=\"scale\"><span id=\"scale-lo\"></span><span id=\"scale-bar\" class=\"bar\"></span>"
        + "<span id=\"scale-hi\"></span></span>"
        + "<span class=\"pager\"><button id=\"prev-page\">prev</button> <span id=\"page-info\"></span>"
        + " <button id=\"next-page\">next</button></span></div>\n"
        + "<p class=\"hint\">Each completion token is coloured by the chosen value; hover a token for"
        + " its text, log-prob, entropy, r_t and A_t, the completion's reward and the group's"
        + " rewards and baseline. Colour intensity is the square root of |value| / the scale's end."
        + " In multi-turn episodes the environment's observations stand apart, uncoloured: they are"
        + " context, not trained on.</p>\n"
        + "<div id=\"groups\"></div>\n</main>\n<div id=\"tip\" class=\"tip\"></div>\n</body>\n</html>\n";
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
