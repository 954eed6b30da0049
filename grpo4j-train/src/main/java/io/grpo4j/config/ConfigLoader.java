package io.grpo4j.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.grpo4j.dist.BackendKind;
import io.grpo4j.rl.AdvantageMode;
import io.grpo4j.rl.Algorithm;
import io.grpo4j.rl.DiffusionAdvantage;
import io.grpo4j.rl.DiffusionLikelihood;
import io.grpo4j.rl.KlEstimator;
import io.grpo4j.rl.LossAggregation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Loads a tree of config records: the record's own defaults, overlaid with a YAML file, overlaid
 * with {@code --set key=value} overrides, in that order. Every key of the file and of the overrides
 * must exist in the defaults (an unknown key is an error that names it and lists the keys allowed
 * there); values are type-checked when the tree is bound to the records, whose constructors then
 * check ranges. Keys are snake_case ({@code rl.kl.forward}).
 */
public final class ConfigLoader {
  static final ObjectMapper YAML =
      new ObjectMapper(
              new YAMLFactory()
                  .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                  .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .registerModule(
              new SimpleModule("grpo4j-modes")
                  .addSerializer(configName(Algorithm.class, Algorithm::configName))
                  .addDeserializer(Algorithm.class, parser(Algorithm::parse))
                  .addSerializer(configName(AdvantageMode.class, AdvantageMode::configName))
                  .addDeserializer(AdvantageMode.class, parser(AdvantageMode::parse))
                  .addSerializer(configName(LossAggregation.class, LossAggregation::configName))
                  .addDeserializer(LossAggregation.class, parser(LossAggregation::parse))
                  .addSerializer(configName(KlEstimator.class, KlEstimator::configName))
                  .addDeserializer(KlEstimator.class, parser(KlEstimator::parse))
                  .addSerializer(
                      configName(DiffusionLikelihood.class, DiffusionLikelihood::configName))
                  .addDeserializer(DiffusionLikelihood.class, parser(DiffusionLikelihood::parse))
                  .addSerializer(
                      configName(DiffusionAdvantage.class, DiffusionAdvantage::configName))
                  .addDeserializer(DiffusionAdvantage.class, parser(DiffusionAdvantage::parse))
                  .addSerializer(configName(BackendKind.class, BackendKind::configName))
                  .addDeserializer(BackendKind.class, parser(BackendKind::parse)));

  /** Sections whose keys are not known here (a plug-in task's or environment's own settings). */
  static final java.util.Set<String> FREE_FORM = java.util.Set.of("task.options", "env.options");

  private ConfigLoader() {}

  /**
   * @param defaults the record holding every default
   * @param file a YAML file, or null for defaults only
   * @param overrides {@code key=value} strings; the value is read as YAML (numbers, booleans,
   *     {@code null}, lists, quoted strings)
   */
  public static <T> T load(Class<T> type, T defaults, Path file, List<String> overrides)
      throws IOException {
    ObjectNode tree = YAML.valueToTree(defaults);
    String source = "defaults";
    if (file != null) {
      source = file.toString();
      JsonNode user;
      try {
        user = YAML.readTree(Files.readString(file));
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(file + " (config file not found)");
      } catch (java.nio.charset.CharacterCodingException e) {
        throw new IllegalArgumentException(file + ": not valid UTF-8 text (" + e + ")");
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(file + ": invalid YAML: " + e.getOriginalMessage());
      }
      if (user != null && !user.isMissingNode() && !user.isNull()) {
        if (!user.isObject())
          throw new IllegalArgumentException(
              file + ": expected a mapping of config keys at the top level");
        merge(tree, (ObjectNode) user, "", file.toString());
      }
    }
    for (String o : overrides) {
      applyOverride(tree, o);
    }
    return bind(type, tree, file != null ? source + " (with --set overrides)" : "config");
  }

  /** Binds an already merged tree, reporting type errors with the dotted key. */
  static <T> T bind(Class<T> type, JsonNode tree, String source) {
    try {
      return YAML.treeToValue(tree, type);
    } catch (MismatchedInputException e) {
      throw new IllegalArgumentException(
          source + ": key '" + dotted(e) + "': " + firstLine(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException iae) {
        throw new IllegalArgumentException(source + ": " + iae.getMessage(), iae);
      }
      throw new IllegalArgumentException(source + ": " + firstLine(e.getOriginalMessage()));
    } catch (IllegalArgumentException e) {
      Throwable cause = e.getCause();
      while (cause != null
          && !(cause instanceof IllegalArgumentException && cause.getCause() == null))
        cause = cause.getCause();
      throw new IllegalArgumentException(
          source + ": " + (cause != null ? cause.getMessage() : e.getMessage()), e);
    }
  }

  /** Writes a mode enum as its config spelling ({@code token_relative}, not TOKEN_RELATIVE). */
  private static <E extends Enum<E>> StdSerializer<E> configName(
      Class<E> type, Function<E, String> name) {
    return new StdSerializer<>(type) {
      @Override
      public void serialize(E value, JsonGenerator gen, SerializerProvider provider)
          throws IOException {
        gen.writeString(name.apply(value));
      }
    };
  }

  /**
   * Reads a mode enum through its own {@code parse}, whose message names the key and lists the
   * allowed values; it reaches the user through {@link #bind}.
   */
  private static <E> JsonDeserializer<E> parser(Function<String, E> parse) {
    return new JsonDeserializer<>() {
      @Override
      public E deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
        return parse.apply(p.getText());
      }
    };
  }

  /** The tree of a resolved config, keys spelled as in the YAML file. */
  public static JsonNode toTree(Object config) {
    return YAML.valueToTree(config);
  }

  /** The YAML text of a resolved config, as written into a run folder. */
  public static String toYaml(Object config) {
    try {
      return YAML.writeValueAsString(config);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise config", e);
    }
  }

  private static void merge(ObjectNode base, ObjectNode user, String prefix, String file) {
    Iterator<Map.Entry<String, JsonNode>> it = user.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      JsonNode have = base.get(e.getKey());
      if (have == null) {
        throw new IllegalArgumentException(
            file + ": unknown key '" + key + "'" + known(base, prefix));
      }
      if (FREE_FORM.contains(key) && e.getValue().isObject()) {
        base.set(e.getKey(), e.getValue()); // a plug-in's own keys: its provider checks them
      } else if (have.isObject() && e.getValue().isObject()) {
        merge((ObjectNode) have, (ObjectNode) e.getValue(), key + ".", file);
      } else if (have.isObject() && !e.getValue().isNull()) {
        throw new IllegalArgumentException(
            file + ": key '" + key + "' is a section; expected a mapping with keys " + keys(have));
      } else {
        base.set(e.getKey(), e.getValue());
      }
    }
  }

  private static void applyOverride(ObjectNode tree, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0)
      throw new IllegalArgumentException(
          "--set '" + override + "': expected key=value, e.g. --set rl.kl.forward=0.05");
    String key = override.substring(0, eq).trim();
    String text = override.substring(eq + 1);
    String[] parts = key.split("\\.");
    ObjectNode node = tree;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode next = node.get(parts[i]);
      if (next == null && FREE_FORM.contains(path.toString().replaceAll("\\.$", ""))) {
        next = node.putObject(parts[i]);
      }
      path.append(parts[i]).append('.');
      if (next == null || !next.isObject()) {
        throw new IllegalArgumentException(
            "--set: unknown key '"
                + key
                + "'"
                + known(node, path.substring(0, path.length() - parts[i].length() - 1)));
      }
      node = (ObjectNode) next;
    }
    String leaf = parts[parts.length - 1];
    boolean freeForm = FREE_FORM.stream().anyMatch(f -> key.startsWith(f + "."));
    if (!node.has(leaf) && !freeForm)
      throw new IllegalArgumentException(
          "--set: unknown key '" + key + "'" + known(node, path.toString()));
    if (node.has(leaf) && node.get(leaf).isObject() && !freeForm)
      throw new IllegalArgumentException(
          "--set: key '" + key + "' is a section; set one of " + keys(node.get(leaf)));
    JsonNode value;
    try {
      value = text.isEmpty() ? YAML.getNodeFactory().textNode("") : YAML.readTree(text);
    } catch (JsonProcessingException e) {
      value = YAML.getNodeFactory().textNode(text);
    }
    node.set(
        leaf, value == null || value.isMissingNode() ? YAML.getNodeFactory().nullNode() : value);
  }

  private static String known(JsonNode node, String prefix) {
    return " (known keys"
        + (prefix.isEmpty() ? "" : " under '" + prefix.substring(0, prefix.length() - 1) + "'")
        + ": "
        + keys(node)
        + ")";
  }

  private static String keys(JsonNode node) {
    TreeSet<String> k = new TreeSet<>();
    node.fieldNames().forEachRemaining(k::add);
    return String.join(", ", k);
  }

  private static String dotted(MismatchedInputException e) {
    StringBuilder sb = new StringBuilder();
    for (var ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!sb.isEmpty()) sb.append('.');
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String firstLine(String s) {
    if (s == null) return "invalid value";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
