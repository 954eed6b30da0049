package io.grpo4j.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** report.html is self-contained; the plots are real PNGs; the dashboard API answers. */
class ReportWriterTest {
  @TempDir Path dir;

  @Test
  void reportIsSelfContainedAndPlotsHoldTheRunsColours() throws Exception {
    ReportWriter.Written w =
        ReportWriter.write(RunSet.of(List.of(BrowserTest.fixture())), dir, "t </script> & co");
    String html = Files.readString(w.report());
    // nothing is fetched: no external script, style or image
    assertThat(html).doesNotContainPattern("(src|href)=\"(https?:)?//");
    assertThat(html).doesNotContain("src=\"assets/");
    assertThat(html).contains("t &lt;/script&gt; &amp; co");
    // the embedded data parses and holds the fixture's curves
    Matcher m =
        Pattern.compile("window.GRPO4J = \\{mode: \"static\", data: (.*)\\};</script>")
            .matcher(html);
    assertThat(m.find()).isTrue();
    JsonNode data = RunSource.JSON.readTree(m.group(1).replace("<\\/", "</"));
    List<JsonNode> rows = BrowserTest.jsonl(BrowserTest.fixture().resolve("grpo/metrics.jsonl"));
    JsonNode reward = data.path("metrics").get(0).path("columns").path("reward/mean");
    assertThat(reward).hasSize(rows.size());
    for (int i = 0; i < rows.size(); i++)
      assertThat(reward.get(i).asDouble()).isEqualTo(rows.get(i).path("reward/mean").asDouble());
    assertThat(data.path("summary").get(0).path("grpo").path("success_rate").asDouble())
        .isEqualTo(0.5416666666666666);
    assertThat(data.path("rollouts").get(0).size()).isEqualTo(4); // all 4 steps (<= 5)

    assertThat(w.plots())
        .extracting(p -> p.getFileName().toString())
        .contains("reward_mean.png", "kl_forward.png", "eval_success_rate.png");
    for (Path p : w.plots()) {
      BufferedImage img = ImageIO.read(p.toFile());
      assertThat(img.getWidth()).isEqualTo(Plots.WIDTH);
      assertThat(img.getHeight()).isEqualTo(Plots.HEIGHT);
      assertThat(count(img, Plots.COLOURS[0].getRGB())).as(p.toString()).isGreaterThan(20);
    }
  }

  private static int count(BufferedImage img, int rgb) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++)
      for (int x = 0; x < img.getWidth(); x++)
        if ((img.getRGB(x, y) & 0xFFFFFF) == (rgb & 0xFFFFFF)) n++;
    return n;
  }

  @Test
  void afterRunWritesTheReportOrWarnsWithoutFailing() throws Exception {
    var buf = new java.io.ByteArrayOutputStream();
    ReportWriter.afterRun(dir.resolve("missing"), new java.io.PrintStream(buf, true));
    assertThat(buf.toString()).startsWith("warning: no report for").contains("missing");
    Path run = Files.createDirectories(dir.resolve("run"));
    BrowserTest.copy(BrowserTest.fixture().resolve("grpo"), run);
    buf.reset();
    ReportWriter.afterRun(run, new java.io.PrintStream(buf, true));
    assertThat(buf.toString()).startsWith("report: ");
    assertThat(run.resolve("report.html")).isNotEmptyFile();
    assertThat(run.resolve("plots/reward_mean.png")).isNotEmptyFile();
  }

  @Test
  void spreadKeepsFirstLastAndEvenlyBetween() {
    assertThat(ReportWriter.spread(List.of(1L, 2L, 3L), 5)).containsExactly(1L, 2L, 3L);
    assertThat(ReportWriter.spread(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), 5))
        .containsExactly(1L, 3L, 5L, 7L, 9L);
  }

  @Test
  void dashboardApiAnswersAndNamesBadRequests() throws Exception {
    try (DashboardServer s =
        DashboardServer.start(RunSet.of(List.of(BrowserTest.fixture())), "127.0.0.1", 0, "t")) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + s.port();
      HttpResponse<String> page = get(http, base + "/");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("assets/uPlot.iife.min.js");
      assertThat(get(http, base + "/assets/uPlot.iife.min.js").body()).contains("uPlot");
      assertThat(get(http, base + "/assets/nope.js").statusCode()).isEqualTo(404);
      JsonNode metrics =
          RunSource.JSON.readTree(get(http, base + "/api/metrics?run=0&max=2").body());
      assertThat(metrics.path("rows").asInt()).isEqualTo(4);
      assertThat(metrics.path("every").asInt()).isEqualTo(2);
      assertThat(metrics.path("step")).hasSize(2);
      JsonNode steps = RunSource.JSON.readTree(get(http, base + "/api/steps?run=0").body());
      assertThat(steps.path("steps").toString()).isEqualTo("[1,2,3,4]");
      JsonNode page2 =
          RunSource.JSON.readTree(
              get(http, base + "/api/rollouts?run=0&step=2&from=8&limit=8").body());
      assertThat(page2.path("total").asInt()).isEqualTo(24);
      assertThat(page2.path("groups")).hasSize(1);
      assertThat(page2.path("groups").get(0).path("group").asInt()).isEqualTo(1);
      HttpResponse<String> bad = get(http, base + "/api/metrics?run=3");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.body()).contains("run 3 does not exist");
      assertThat(get(http, base + "/api/rollouts?run=0&step=x").body()).contains("step=x");
      assertThat(get(http, base + "/api/summary?run=0").body()).contains("\"sft\"");
    }
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
