package io.grpo4j.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard and report.html as a person uses them, in headless Chromium (Debian's {@code
 * chromium} and {@code chromium-driver}; {@code .ci/run} installs them). Screenshots go to {@code
 * target/screenshots/}.
 */
class BrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SHOTS = Path.of("target/screenshots");

  static ChromeDriver driver;
  @TempDir static Path tmp;

  static Path fixture() throws URISyntaxException {
    return Path.of(BrowserTest.class.getResource("/io/grpo4j/report/quickstart").toURI());
  }

  @BeforeAll
  static void browser() throws IOException {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!present && System.getenv("CI") != null) {
      throw new IllegalStateException(
          "CI needs "
              + CHROMIUM
              + " and "
              + DRIVER
              + " (.ci/run installs chromium chromium-driver)");
    }
    Assumptions.assumeTrue(
        present, "headless Chromium not installed: apt-get install -y chromium chromium-driver");
    Files.createDirectories(SHOTS);
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--allow-file-access-from-files",
        "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium"),
        "--window-size=1400,1000");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    driver = new ChromeDriver(service, o);
    driver.manage().window().setSize(new Dimension(1400, 1000));
  }

  @AfterAll
  static void quit() {
    if (driver != null) driver.quit();
  }

  @Test
  void dashboardShowsCurvesTokensAndLiveRows() throws Exception {
    Path runs = Files.createDirectories(tmp.resolve("live"));
    copy(fixture(), runs);
    try (DashboardServer server =
        DashboardServer.start(RunSet.of(List.of(runs)), "127.0.0.1", 0, "fixture")) {
      driver.get("http://127.0.0.1:" + server.port() + "/");
      checkPage("dashboard", runs.resolve("grpo"));
      // a row appended while the page is open arrives by polling
      List<String> lines = Files.readAllLines(runs.resolve("grpo/metrics.jsonl"));
      JsonNode last = RunSource.JSON.readTree(lines.get(lines.size() - 1));
      var next = (com.fasterxml.jackson.databind.node.ObjectNode) last.deepCopy();
      next.put("step", last.path("step").asLong() + 1).put("reward/mean", 0.875);
      Files.writeString(
          runs.resolve("grpo/metrics.jsonl"),
          RunSource.JSON.writeValueAsString(next) + "\n",
          StandardOpenOption.APPEND);
      new WebDriverWait(driver, Duration.ofSeconds(20))
          .until(d -> chartPoints("reward/mean").size() == lines.size() + 1);
      assertThat(chartPoints("reward/mean").get(lines.size())).isEqualTo(0.875);
      assertNoConsoleErrors();
    }
  }

  @Test
  void reportOpensFromDisk() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("report"));
    ReportWriter.write(RunSet.of(List.of(fixture())), out, "fixture report");
    driver.get(out.resolve("report.html").toUri().toString());
    checkPage("report", fixture().resolve("grpo"));
  }

  static Path episodesFixture() throws URISyntaxException {
    return Path.of(BrowserTest.class.getResource("/io/grpo4j/report/episodes").toURI());
  }

  @Test
  void curvesSmoothAndEpisodesShowTheirObservationsApartAndUncoloured() throws Exception {
    Path runs = episodesFixture();
    try (DashboardServer server =
        DashboardServer.start(RunSet.of(List.of(runs)), "127.0.0.1", 0, "episodes")) {
      driver.get("http://127.0.0.1:" + server.port() + "/");
      checkEpisodes("episodes-dashboard", runs.resolve("grpo"));
      // leave the live page before its server stops (its polls would fail in the console)
      driver.get("about:blank");
      driver.manage().logs().get(LogType.BROWSER);
    }
    Path out = Files.createDirectories(tmp.resolve("episodes-report"));
    ReportWriter.write(RunSet.of(List.of(runs)), out, "episodes report");
    driver.get(out.resolve("report.html").toUri().toString());
    checkEpisodes("episodes-report", runs.resolve("grpo"));
  }

  /** TensorBoard's debiased exponential moving average, as the page should draw it. */
  static List<Double> ema(List<Double> ys, double w) {
    List<Double> out = new ArrayList<>();
    double last = 0;
    int n = 0;
    for (Double y : ys) {
      if (y == null || !Double.isFinite(y)) {
        out.add(null);
        continue;
      }
      last = last * w + (1 - w) * y;
      n++;
      out.add(last / (1 - Math.pow(w, n)));
    }
    return out;
  }

  private void setSmoothing(double w) {
    ((JavascriptExecutor) driver)
        .executeScript(
            "const s = document.getElementById('smoothing'); s.value = arguments[0];"
                + " s.dispatchEvent(new Event('input'));",
            String.valueOf(w));
  }

  @SuppressWarnings("unchecked")
  private static List<Double> series(String metric, int index) {
    Object v =
        ((JavascriptExecutor) driver)
            .executeScript(
                "const u = window.grpo4j.charts[arguments[0]]; return u ? u.data[arguments[1]] : null;",
                metric,
                index);
    assertThat(v).as("chart " + metric + " series " + index).isNotNull();
    List<Double> out = new ArrayList<>();
    for (Object o : (List<Object>) v) out.add(o == null ? null : ((Number) o).doubleValue());
    return out;
  }

  private void checkEpisodes(String name, Path run) throws IOException {
    new WebDriverWait(driver, Duration.ofSeconds(30))
        .until(d -> d.findElement(By.tagName("body")).getAttribute("data-ready") != null);
    assertThat(driver.findElement(By.tagName("body")).getAttribute("data-ready"))
        .as(driver.findElement(By.id("error")).getText())
        .isEqualTo("true");
    // smoothing: the raw points stay as logged (series 1), the smoothed line (series 2) is their
    // debiased EMA at the slider's weight; 0 draws the raw values; eval/* charts are not smoothed
    List<JsonNode> metrics = jsonl(run.resolve("metrics.jsonl"));
    for (String m : List.of("reward/mean", "env/turns_mean", "env/masked_frac")) {
      List<Double> raw = metrics.stream().map(r -> r.path(m).asDouble()).toList();
      for (double w : new double[] {0.9, 0.0, 0.6}) {
        setSmoothing(w);
        assertThat(series(m, 1)).as(m).containsExactlyElementsOf(raw);
        List<Double> want = ema(raw, w);
        List<Double> got = series(m, 2);
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < want.size(); i++) {
          assertThat(got.get(i))
              .as("%s w=%s point %d", m, w, i)
              .isCloseTo(want.get(i), within(1e-12));
        }
      }
    }
    assertThat(driver.findElement(By.id("smoothing-value")).getText()).isEqualTo("0.60");
    assertThat(
            ((JavascriptExecutor) driver)
                .executeScript("return window.grpo4j.charts['eval/success_rate'].series.length;"))
        .isEqualTo(2L); // step and the run: no smoothed twin
    shot(name + "-curves");

    // the rollout browser: each episode turn by turn, observations in blocks of their own
    List<JsonNode> samples = jsonl(run.resolve("samples.jsonl"));
    long lastStep = samples.get(samples.size() - 1).path("step").asLong();
    JsonNode row =
        samples.stream().filter(r -> r.path("step").asLong() == lastStep).findFirst().orElseThrow();
    WebElement first = driver.findElement(By.cssSelector("#groups .completion"));
    ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", first);
    assertThat(first.findElements(By.cssSelector(".turn"))).hasSize(row.path("turns").asInt());
    assertThat(first.findElement(By.cssSelector(".meta")).getText())
        .contains(row.path("turns").asInt() + " turns");
    int obsCount = 0;
    int obsK = -1;
    for (int k = 0; k < row.path("tokens").size(); k++) {
      WebElement tok = first.findElement(By.cssSelector(".tok[data-k='" + k + "']"));
      boolean obs = row.path("observation").get(k).asBoolean();
      // observation tokens sit inside .obs blocks and have no colour; model tokens in turns
      assertThat(tok.findElements(By.xpath("ancestor::div[contains(@class,'obs')]")))
          .as("token %d", k)
          .hasSize(obs ? 1 : 0);
      assertThat(tok.findElements(By.xpath("ancestor::span[contains(@class,'turn')]")))
          .hasSize(obs ? 0 : 1);
      if (obs) {
        obsCount++;
        if (obsK < 0) obsK = k;
        assertThat(tok.getCssValue("background-color")).isEqualTo("rgba(0, 0, 0, 0)");
      }
    }
    assertThat(obsCount).isGreaterThan(0);
    WebElement block = first.findElement(By.cssSelector(".obs"));
    assertThat(block.getCssValue("display")).isEqualTo("block");
    assertThat(block.getCssValue("border-left-style")).isEqualTo("solid");
    // hovering an observation token says where it came from and shows no training values
    WebElement obsTok = first.findElement(By.cssSelector(".tok[data-k='" + obsK + "']"));
    new Actions(driver).moveToElement(obsTok).perform();
    WebElement tip = driver.findElement(By.id("tip"));
    new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> tip.isDisplayed());
    assertThat(field(tip, "from")).contains("environment").contains("not trained on");
    assertThat(tip.findElements(By.cssSelector("tr[data-field='A_t']"))).isEmpty();
    shot(name + "-rollouts");
    // a model token's colour follows the colouring; an observation's never does
    new Select(driver.findElement(By.id("colour-by"))).selectByValue("logprob");
    WebElement again =
        driver.findElement(By.cssSelector("#groups .completion .tok[data-k='" + obsK + "']"));
    assertThat(again.getCssValue("background-color")).isEqualTo("rgba(0, 0, 0, 0)");
    assertNoConsoleErrors();
  }

  /** Curves hold the fixture's points, hover shows a token's values, colouring switches. */
  private void checkPage(String name, Path run) throws IOException {
    new WebDriverWait(driver, Duration.ofSeconds(30))
        .until(d -> d.findElement(By.tagName("body")).getAttribute("data-ready") != null);
    assertThat(driver.findElement(By.tagName("body")).getAttribute("data-ready"))
        .as(driver.findElement(By.id("error")).getText())
        .isEqualTo("true");
    List<JsonNode> metrics = jsonl(run.resolve("metrics.jsonl"));
    for (String m : List.of("reward/mean", "kl/forward", "entropy")) {
      List<Double> want = metrics.stream().map(r -> r.path(m).asDouble()).toList();
      assertThat(chartPoints(m)).as(m).containsExactlyElementsOf(want);
    }
    List<Double> evalWant = new ArrayList<>();
    for (JsonNode r : metrics)
      evalWant.add(r.has("eval/success_rate") ? r.path("eval/success_rate").asDouble() : null);
    assertThat(chartPoints("eval/success_rate")).containsExactlyElementsOf(evalWant);
    assertThat(driver.findElements(By.cssSelector("table.eval tr"))).hasSizeGreaterThan(3);
    assertThat(driver.findElement(By.cssSelector("table.eval")).getText())
        .contains("success_rate", "0.5000", "0.5417");
    // hovering a chart shows the values under the cursor in its legend
    WebElement chart = driver.findElement(By.cssSelector(".chart[data-metric='reward/mean']"));
    WebElement value =
        chart.findElement(By.cssSelector(".u-legend .u-series:nth-child(2) .u-value"));
    assertThat(value.getText()).isEqualTo("\u2014");
    new Actions(driver).moveToElement(chart.findElement(By.cssSelector(".u-over"))).perform();
    assertThat(value.getText()).matches("-?\\d+\\.\\d{4}");
    shot(name + "-curves");

    // the rollout browser opens on the last step; its first completion is the file's first row of
    // that step
    List<JsonNode> samples = jsonl(run.resolve("samples.jsonl"));
    long lastStep = samples.get(samples.size() - 1).path("step").asLong();
    JsonNode row =
        samples.stream().filter(r -> r.path("step").asLong() == lastStep).findFirst().orElseThrow();
    ((JavascriptExecutor) driver)
        .executeScript("arguments[0].scrollIntoView()", driver.findElement(By.id("step")));
    int k = 2;
    WebElement tok =
        driver.findElement(By.cssSelector("#groups .completion .tok[data-k='" + k + "']"));
    String advColour = tok.getCssValue("background-color");
    new Actions(driver).moveToElement(tok).perform();
    WebElement tip = driver.findElement(By.id("tip"));
    new WebDriverWait(driver, Duration.ofSeconds(5)).until(d -> tip.isDisplayed());
    assertThat(field(tip, "token"))
        .isEqualTo(RunSource.JSON.writeValueAsString(row.path("tokens").get(k).asText()));
    assertThat(field(tip, "log-prob"))
        .isEqualTo(String.format("%.4f", row.path("logprobs").get(k).asDouble()));
    assertThat(field(tip, "A_t"))
        .isEqualTo(String.format("%.4f", row.path("token_advantages").get(k).asDouble()));
    assertThat(field(tip, "r_t"))
        .isEqualTo(String.format("%.4f", row.path("token_rewards").get(k).asDouble()));
    assertThat(field(tip, "entropy")).isEqualTo("\u2014"); // not logged by this run
    shot(name + "-rollouts-advantage");

    new Select(driver.findElement(By.id("colour-by"))).selectByValue("logprob");
    WebElement tok2 =
        driver.findElement(By.cssSelector("#groups .completion .tok[data-k='" + k + "']"));
    String lpColour = tok2.getCssValue("background-color");
    assertThat(lpColour).isNotEqualTo(advColour);
    assertThat(driver.findElement(By.cssSelector("#colour-by option[value='entropy']")).isEnabled())
        .isFalse();
    new Actions(driver).moveToElement(tok2).perform();
    shot(name + "-rollouts-logprob");
    new Select(driver.findElement(By.id("colour-by"))).selectByValue("r");
    new Actions(driver).moveToElement(driver.findElement(By.id("step"))).perform();
    ((JavascriptExecutor) driver)
        .executeScript(
            "document.getElementById('rollouts-title').scrollIntoView(); window.scrollBy(0, -50);");
    shot(name + "-rollouts-reward");
    assertNoConsoleErrors();
  }

  /** The page's number format: 4 decimals, or 3 significant digits with an exponent below 5e-5. */
  static String shown(double v) {
    double a = Math.abs(v);
    if (a == 0 || a >= 5e-5) return String.format("%.4f", v);
    return String.format("%.2e", v).replaceAll("e([+-])0(\\d)", "e$1$2");
  }

  private static String field(WebElement tip, String name) {
    return tip.findElement(By.cssSelector("tr[data-field='" + name + "'] td:nth-child(2)"))
        .getText();
  }

  @SuppressWarnings("unchecked")
  private static List<Double> chartPoints(String metric) {
    Object v =
        ((JavascriptExecutor) driver)
            .executeScript(
                "const u = window.grpo4j.charts[arguments[0]]; return u ? u.data[1] : null;",
                metric);
    assertThat(v).as("chart " + metric).isNotNull();
    List<Double> out = new ArrayList<>();
    for (Object o : (List<Object>) v) out.add(o == null ? null : ((Number) o).doubleValue());
    return out;
  }

  private static void assertNoConsoleErrors() {
    List<String> errors = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      if (e.getLevel().intValue() >= Level.WARNING.intValue()) errors.add(e.getMessage());
    }
    assertThat(errors).as("browser console").isEmpty();
  }

  private static void shot(String name) throws IOException {
    byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
    Files.write(SHOTS.resolve(name + ".png"), png);
  }

  static List<JsonNode> jsonl(Path f) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(RunSource.JSON.readTree(l));
    return out;
  }

  static void copy(Path from, Path to) throws IOException {
    try (var s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(t);
        else Files.copy(p, t);
      }
    }
  }
}
